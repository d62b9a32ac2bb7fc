package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// historyPoints is how many stored results per check the health screen
// loads for its trend lines: at the seed's four runs a day, 12 days.
const historyPoints = 48

// Messages of the health screen's own calls.
type (
	// healthMsg carries the stored inputs and history of the checks.
	healthMsg struct {
		result
		inputs  []HealthInput
		history []HealthPoint
		err     error
	}
	// signMsg carries the live signature timing.
	signMsg struct {
		result
		avg time.Duration
		err error
	}
)

// health loads the stored inputs and the history in one call, so that the
// screen takes both in together.
func (l *loader) health() tea.Cmd {
	if l == nil || l.src == nil {
		return nil
	}
	src := l.src
	return l.run("health", func(ctx context.Context) tea.Msg {
		in, err := src.HealthInputs(ctx)
		if err != nil {
			return healthMsg{result: result{"health"}, err: err}
		}
		h, err := src.HealthHistory(ctx, historyPoints)
		return healthMsg{result{"health"}, in, h, err}
	})
}

// signTiming times test signatures in the HSM.
func (l *loader) signTiming() tea.Cmd {
	if l == nil || l.hsm == nil {
		return nil
	}
	h := l.hsm
	return l.run("sign/hsm", func(ctx context.Context) tea.Msg {
		d, err := h.SignTiming(ctx)
		return signMsg{result{"sign/hsm"}, d, err}
	})
}
