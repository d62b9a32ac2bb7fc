package common

// Messages between the App and its screens.
type (
	// EnvChangedMsg tells the screens that Common.Env changed.
	EnvChangedMsg struct{}
	// RestyleMsg tells the screens that Common.Styles changed: redraw
	// what they keep drawn.
	RestyleMsg struct{}
	// OpenWalletMsg asks the App to show a wallet's detail.
	OpenWalletMsg struct{ Version int }
	// GotoMsg asks the App to switch screens and show a note.
	GotoMsg struct{ Screen, Note string }
)
