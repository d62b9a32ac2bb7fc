package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
)

// fieldKind is how a form field takes its value.
type fieldKind int

const (
	fieldText   fieldKind = iota
	fieldChoice           // left/right cycle through choices
	fieldSecret           // typed text shown as a count, never echoed
)

// formField is one labelled input of a form.
type formField struct {
	label    string
	kind     fieldKind
	choices  []string
	choice   int
	in       lineInput
	required bool
	hint     string
}

// Value is the field's text, or the chosen choice.
func (f *formField) Value() string {
	if f.kind == fieldChoice {
		if len(f.choices) == 0 {
			return ""
		}
		return f.choices[f.choice]
	}
	return strings.TrimSpace(f.in.String())
}

// clear forgets what was typed (secrets are cleared as soon as they are used).
func (f *formField) clear() {
	for i := range f.in.value {
		f.in.value[i] = 0
	}
	f.in.reset("", "")
}

func textField(label, value, hint string, required bool) *formField {
	f := &formField{label: label, kind: fieldText, hint: hint, required: required}
	f.in.reset("", value)
	return f
}

func secretField(label, hint string) *formField {
	return &formField{label: label, kind: fieldSecret, hint: hint, required: true}
}

func choiceField(label string, choices []string, pick string, hint string) *formField {
	f := &formField{label: label, kind: fieldChoice, choices: choices, hint: hint}
	for i, c := range choices {
		if c == pick {
			f.choice = i
		}
	}
	return f
}

// form is a column of fields edited in place. tab/↓ and shift+tab/↑ move
// between fields, ←/→ change a choice, enter moves on (and submits from the
// last field), ctrl+s submits from anywhere, esc cancels.
type form struct {
	fields []*formField
	focus  int
	err    string
	// onChange is called after a choice changes (to update what depends on it).
	onChange func()
}

// formEvent is what a key did to the form.
type formEvent int

const (
	formNone formEvent = iota
	formSubmit
	formCancel
)

func (f *form) field(label string) *formField {
	for _, x := range f.fields {
		if x.label == label {
			return x
		}
	}
	return nil
}

func (f *form) update(msg tea.Msg) formEvent {
	if len(f.fields) == 0 {
		return formNone
	}
	cur := f.fields[f.focus]
	if p, ok := msg.(tea.PasteMsg); ok {
		if cur.kind != fieldChoice {
			cur.in.update(p)
		}
		return formNone
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return formNone
	}
	switch k.String() {
	case "esc":
		return formCancel
	case "ctrl+s":
		return f.submit()
	case "tab", "down":
		f.focus = (f.focus + 1) % len(f.fields)
		return formNone
	case "shift+tab", "up":
		f.focus = (f.focus + len(f.fields) - 1) % len(f.fields)
		return formNone
	case "enter":
		if f.focus == len(f.fields)-1 {
			return f.submit()
		}
		f.focus++
		return formNone
	}
	if cur.kind == fieldChoice {
		switch k.String() {
		case "left", "h":
			cur.choice = (cur.choice + len(cur.choices) - 1) % len(cur.choices)
		case "right", "l", "space":
			cur.choice = (cur.choice + 1) % len(cur.choices)
		default:
			return formNone
		}
		if f.onChange != nil {
			f.onChange()
		}
		return formNone
	}
	cur.in.update(k)
	return formNone
}

// submit checks required fields; it focuses the first one missing.
func (f *form) submit() formEvent {
	for i, x := range f.fields {
		if x.required && x.Value() == "" {
			f.focus = i
			f.err = x.label + " is required"
			return formNone
		}
	}
	f.err = ""
	return formSubmit
}

// view draws the fields in w cells: labels in a column, the focused field
// marked with ">" (visible without colour too) and its cursor.
func (f *form) view(s *common.Styles, w int) []string {
	lw := 0
	for _, x := range f.fields {
		lw = max(lw, common.Width(x.label))
	}
	lw = min(lw, max(w/3, 8))
	var out []string
	for i, x := range f.fields {
		mark := "  "
		if i == f.focus {
			mark = "> "
		}
		label := common.Fit(x.label, lw, false)
		avail := max(w-common.Width(mark)-lw-2, 4)
		var val string
		switch x.kind {
		case fieldChoice:
			val = "‹ " + x.Value() + " ›"
		case fieldSecret:
			n := len(x.in.value)
			val = strings.Repeat("•", min(n, avail-12)) + " (" + common.Itoa(n) + " typed)"
			if n == 0 {
				val = "(typed, not shown)"
			}
		default:
			if i == f.focus {
				val, _ = x.in.view(avail)
				val += "▏"
			} else {
				val = common.Truncate(x.in.String(), avail)
			}
		}
		line := mark + label + "  " + val
		if i == f.focus {
			line = s.R(s.Selected, common.Fit(line, w, false))
		}
		out = append(out, line)
		if i == f.focus && x.hint != "" {
			for _, h := range common.Wrap(x.hint, max(w-lw-4, 10)) {
				out = append(out, s.R(s.Muted, strings.Repeat(" ", lw+4)+h))
			}
		}
	}
	if f.err != "" {
		for _, l := range common.Wrap(f.err, max(w-2, 10)) {
			out = append(out, s.R(s.Error, "  "+l))
		}
	}
	return out
}

// wipe zeroes a secret once it has been used.
func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
