package registry

// screens are the console's screens, in tab order; flows its guided flows,
// in the order of the Flows menu. ui binds each to its constructor.
var (
	screens = []Entry{}
	flows   = []Entry{}
)
