package components

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
)

// FieldKind is how a form field takes its value.
type FieldKind int

const (
	FieldText   FieldKind = iota
	FieldChoice           // left/right cycle through choices
	FieldSecret           // typed text shown as a count, never echoed
)

// Field is one labelled input of a form.
type Field struct {
	Label    string
	Kind     FieldKind
	Choices  []string
	Choice   int
	In       LineInput
	Required bool
	Hint     string
}

// Value is the field's text, or the chosen choice.
func (f *Field) Value() string {
	if f.Kind == FieldChoice {
		if len(f.Choices) == 0 {
			return ""
		}
		return f.Choices[f.Choice]
	}
	return strings.TrimSpace(f.In.String())
}

// Clear forgets what was typed (secrets are cleared as soon as they are used).
func (f *Field) Clear() {
	for i := range f.In.value {
		f.In.value[i] = 0
	}
	f.In.Reset("", "")
}

// TextField is a text field holding value.
func TextField(label, value, hint string, required bool) *Field {
	f := &Field{Label: label, Kind: FieldText, Hint: hint, Required: required}
	f.In.Reset("", value)
	return f
}

// SecretField is a required field whose text is never shown.
func SecretField(label, hint string) *Field {
	return &Field{Label: label, Kind: FieldSecret, Hint: hint, Required: true}
}

// ChoiceField is a field that cycles through choices, at pick.
func ChoiceField(label string, choices []string, pick string, hint string) *Field {
	f := &Field{Label: label, Kind: FieldChoice, Choices: choices, Hint: hint}
	for i, c := range choices {
		if c == pick {
			f.Choice = i
		}
	}
	return f
}

// Form is a column of fields edited in place. tab/↓ and shift+tab/↑ move
// between fields, ←/→ change a choice, enter moves on (and submits from the
// last field), ctrl+s submits from anywhere, esc cancels.
type Form struct {
	Fields []*Field
	Focus  int
	Err    string
	// OnChange is called after a choice changes (to update what depends on it).
	OnChange func()
}

// FormEvent is what a key did to the form.
type FormEvent int

const (
	FormNone FormEvent = iota
	FormSubmit
	FormCancel
)

// Field is the field labelled label, nil when there is none.
func (f *Form) Field(label string) *Field {
	for _, x := range f.Fields {
		if x.Label == label {
			return x
		}
	}
	return nil
}

// Update takes a key or a paste and says what it did to the form.
func (f *Form) Update(msg tea.Msg) FormEvent {
	if len(f.Fields) == 0 {
		return FormNone
	}
	cur := f.Fields[f.Focus]
	if p, ok := msg.(tea.PasteMsg); ok {
		if cur.Kind != FieldChoice {
			cur.In.Update(p)
		}
		return FormNone
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return FormNone
	}
	switch k.String() {
	case "esc":
		return FormCancel
	case "ctrl+s":
		return f.submit()
	case "tab", "down":
		f.Focus = (f.Focus + 1) % len(f.Fields)
		return FormNone
	case "shift+tab", "up":
		f.Focus = (f.Focus + len(f.Fields) - 1) % len(f.Fields)
		return FormNone
	case "enter":
		if f.Focus == len(f.Fields)-1 {
			return f.submit()
		}
		f.Focus++
		return FormNone
	}
	if cur.Kind == FieldChoice {
		switch k.String() {
		case "left", "h":
			cur.Choice = (cur.Choice + len(cur.Choices) - 1) % len(cur.Choices)
		case "right", "l", "space":
			cur.Choice = (cur.Choice + 1) % len(cur.Choices)
		default:
			return FormNone
		}
		if f.OnChange != nil {
			f.OnChange()
		}
		return FormNone
	}
	cur.In.Update(k)
	return FormNone
}

// submit checks required fields; it focuses the first one missing.
func (f *Form) submit() FormEvent {
	for i, x := range f.Fields {
		if x.Required && x.Value() == "" {
			f.Focus = i
			f.Err = x.Label + " is required"
			return FormNone
		}
	}
	f.Err = ""
	return FormSubmit
}

// View draws the fields in w cells: labels in a column, the focused field
// marked with ">" (visible without colour too) and its cursor.
func (f *Form) View(s *common.Styles, w int) []string {
	lw := 0
	for _, x := range f.Fields {
		lw = max(lw, common.Width(x.Label))
	}
	lw = min(lw, max(w/3, 8))
	var out []string
	for i, x := range f.Fields {
		mark := "  "
		if i == f.Focus {
			mark = "> "
		}
		label := common.Fit(x.Label, lw, false)
		avail := max(w-common.Width(mark)-lw-2, 4)
		var val string
		switch x.Kind {
		case FieldChoice:
			val = "‹ " + x.Value() + " ›"
		case FieldSecret:
			n := x.In.Len()
			val = strings.Repeat("•", min(n, avail-12)) + " (" + common.Itoa(n) + " typed)"
			if n == 0 {
				val = "(typed, not shown)"
			}
		default:
			if i == f.Focus {
				val, _ = x.In.View(avail)
				val += "▏"
			} else {
				val = common.Truncate(x.In.String(), avail)
			}
		}
		line := mark + label + "  " + val
		if i == f.Focus {
			line = s.R(s.Selected, common.Fit(line, w, false))
		}
		out = append(out, line)
		if i == f.Focus && x.Hint != "" {
			for _, h := range common.Wrap(x.Hint, max(w-lw-4, 10)) {
				out = append(out, s.R(s.Muted, strings.Repeat(" ", lw+4)+h))
			}
		}
	}
	if f.Err != "" {
		for _, l := range common.Wrap(f.Err, max(w-2, 10)) {
			out = append(out, s.R(s.Error, "  "+l))
		}
	}
	return out
}

// Wipe zeroes a secret once it has been used.
func Wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
