package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// TestRequestListSelectionWithoutColour: with NO_COLOR (the harness's
// NoTTY profile) the selected creation request carries the "> " marker, as
// the other lists do, and the marker follows the cursor.
func TestRequestListSelectionWithoutColour(t *testing.T) {
	req := uitest.NewRequests("alice")
	for _, p := range []string{"capacity", "security_upgrade"} {
		if _, _, err := req.FileRequest(context.Background(), model.NewRequest{Environment: model.EnvironmentTesting, Purpose: p, Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, nil)).start(t, 100, 30)
	ta.press(t, "5", "enter")
	mustShow(t, ta, "Creation requests — you are alice")
	rowOf := func(id string) string {
		for _, l := range strings.Split(ta.screen(), "\n") {
			if strings.Contains(l, id) {
				return l
			}
		}
		t.Fatalf("no row of %s:\n%s", id, ta.screen())
		return ""
	}
	selected := func(id string) bool { return strings.Contains(rowOf(id), "> "+id) }
	if !selected("WCR-2026-03-14-002") || selected("WCR-2026-03-14-001") {
		t.Fatalf("the first row is not marked, or the second is:\n%s", ta.screen())
	}
	ta.press(t, "down")
	if selected("WCR-2026-03-14-002") || !selected("WCR-2026-03-14-001") {
		t.Fatalf("after down the marker did not move:\n%s", ta.screen())
	}
}
