package components

import (
	"strings"
	"testing"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

func TestLineInput(t *testing.T) {
	var in LineInput
	in.Reset("/", "")
	in.Update(uitest.KeyMsg("a"))
	in.Update(uitest.KeyMsg("b"))
	in.Insert("\x1b[2Jc\u202e") // pasted controls are dropped
	if in.String() != "ab[2Jc" {
		t.Errorf("value %q", in.String())
	}
	in.Update(uitest.KeyMsg("home"))
	in.Update(uitest.KeyMsg("ctrl+k"))
	if in.String() != "" {
		t.Errorf("ctrl+k left %q", in.String())
	}
	in.Insert(strings.Repeat("x", 200))
	line, cx := in.View(40)
	if common.Width(line) > 40 || cx >= 40 {
		t.Errorf("view %q (width %d) cursor %d", line, common.Width(line), cx)
	}
	if got, m := Completion("m", []string{"inventory", "migrations"}); got != "migrations" || len(m) != 1 {
		t.Errorf("completion: %q %v", got, m)
	}
	if got, m := Completion("x", []string{"inventory"}); got != "x" || m != nil {
		t.Errorf("completion of nothing: %q %v", got, m)
	}
}
