package common

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// HistoryPoints is how many stored results per check the health screen
// loads for its trend lines: at the seed's four runs a day, 12 days.
const HistoryPoints = 48

// Messages of the health screen's own calls.
type (
	// HealthMsg carries the stored inputs and history of the checks.
	HealthMsg struct {
		Result
		Inputs  []HealthInput
		History []HealthPoint
		Err     error
	}
	// SignMsg carries the live signature timing.
	SignMsg struct {
		Result
		Avg time.Duration
		Err error
	}
)

// Health loads the stored inputs and the history in one call, so that the
// screen takes both in together.
func (l *Loader) Health() tea.Cmd {
	if l == nil || l.src == nil {
		return nil
	}
	src := l.src
	return l.Run("health", func(ctx context.Context) tea.Msg {
		in, err := src.HealthInputs(ctx)
		if err != nil {
			return HealthMsg{Result: Result{"health"}, Err: err}
		}
		h, err := src.HealthHistory(ctx, HistoryPoints)
		return HealthMsg{Result{"health"}, in, h, err}
	})
}

// SignTiming times test signatures in the HSM.
func (l *Loader) SignTiming() tea.Cmd {
	if l == nil || l.hsm == nil {
		return nil
	}
	h := l.hsm
	return l.Run("sign/hsm", func(ctx context.Context) tea.Msg {
		d, err := h.SignTiming(ctx)
		return SignMsg{Result{"sign/hsm"}, d, err}
	})
}
