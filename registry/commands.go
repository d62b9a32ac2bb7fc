package registry

// commands are the CLI's commands. cmd/console binds each to its flags and
// its handler; its usage text is made from this list.
var commands = []Entry{}
