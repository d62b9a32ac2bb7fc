package flows

import tea "charm.land/bubbletea/v2"

// Claims: while a change runs on the runner, its keys are the runner's
// (r checks again, e edits) before the shell's.
func (r *requestsWizard) Claims(k tea.KeyPressMsg) bool { return r.run != nil && r.run.Claims(k) }
