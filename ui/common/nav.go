package common

// OpenFlowMsg asks the App to open a flow of the Flows screen with
// arguments (the inventory's a opens the allocation flow on its wallet).
type OpenFlowMsg struct {
	Name string
	Args []string
}
