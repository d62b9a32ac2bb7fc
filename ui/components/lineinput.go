package components

import (
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
)

// LineInput is the one-line editor behind ":" and "/". (bubbles/textinput
// would do, but it pulls in a clipboard module that is not in the module
// cache; this is the part of it the console needs.) Typed and pasted text
// is cleaned of control characters as it arrives.
type LineInput struct {
	prompt string
	value  []rune
	pos    int
}

// Reset puts prompt and value on the line, the cursor at the end.
func (in *LineInput) Reset(prompt, value string) {
	in.prompt = prompt
	in.value = nil
	in.pos = 0
	in.Insert(value)
}

func (in *LineInput) String() string { return string(in.value) }

// Prompt is the line's prompt (":" or "/").
func (in *LineInput) Prompt() string { return in.prompt }

// Len is the number of runes on the line.
func (in *LineInput) Len() int { return len(in.value) }

// Insert adds text at the cursor, dropping control characters and invalid
// bytes; it reports whether anything was added.
func (in *LineInput) Insert(s string) bool {
	var add []rune
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if (r == utf8.RuneError && n == 1) || common.IsControl(r) {
			continue
		}
		add = append(add, r)
	}
	if len(add) == 0 {
		return false
	}
	v := make([]rune, 0, len(in.value)+len(add))
	v = append(v, in.value[:in.pos]...)
	v = append(v, add...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(add)
	return true
}

// Update edits the line for a key or a paste; it reports whether the value
// changed.
func (in *LineInput) Update(msg tea.Msg) bool {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		return in.Insert(msg.Content)
	case tea.KeyPressMsg:
		switch msg.String() {
		case "backspace", "ctrl+h":
			if in.pos == 0 {
				return false
			}
			in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
			in.pos--
			return true
		case "delete", "ctrl+d":
			if in.pos >= len(in.value) {
				return false
			}
			in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
			return true
		case "left", "ctrl+b":
			in.pos = max(in.pos-1, 0)
			return false
		case "right", "ctrl+f":
			in.pos = min(in.pos+1, len(in.value))
			return false
		case "home", "ctrl+a":
			in.pos = 0
			return false
		case "end", "ctrl+e":
			in.pos = len(in.value)
			return false
		case "ctrl+u":
			changed := in.pos > 0
			in.value = append([]rune(nil), in.value[in.pos:]...)
			in.pos = 0
			return changed
		case "ctrl+k":
			changed := in.pos < len(in.value)
			in.value = in.value[:in.pos]
			return changed
		case "ctrl+w", "alt+backspace":
			i := in.pos
			for i > 0 && in.value[i-1] == ' ' {
				i--
			}
			for i > 0 && in.value[i-1] != ' ' {
				i--
			}
			changed := i < in.pos
			in.value = append(in.value[:i], in.value[in.pos:]...)
			in.pos = i
			return changed
		}
		if msg.Text != "" && !msg.Mod.Contains(tea.ModCtrl) && !msg.Mod.Contains(tea.ModAlt) {
			return in.Insert(msg.Text)
		}
	}
	return false
}

// View draws the prompt and as much of the value as fits in w cells,
// scrolled so that the cursor shows, and returns the cursor's column.
func (in *LineInput) View(w int) (string, int) {
	pw := common.Width(in.prompt)
	avail := w - pw - 1 // one cell for the cursor after the text
	if avail <= 0 {
		return common.Truncate(in.prompt, w), min(pw, max(w-1, 0))
	}
	start := 0
	for start < in.pos && common.Width(string(in.value[start:in.pos])) > avail {
		start++
	}
	end := in.pos
	for end < len(in.value) && common.Width(string(in.value[start:end+1])) <= avail {
		end++
	}
	return in.prompt + string(in.value[start:end]), pw + common.Width(string(in.value[start:in.pos]))
}

// Completion returns what tab makes of prefix given the candidates: the
// longest common prefix of the matches, and the matches.
func Completion(prefix string, candidates []string) (string, []string) {
	p := strings.ToLower(strings.TrimSpace(prefix))
	var matches []string
	for _, c := range candidates {
		if strings.HasPrefix(c, p) {
			matches = append(matches, c)
		}
	}
	if len(matches) == 0 {
		return prefix, nil
	}
	common := matches[0]
	for _, m := range matches[1:] {
		for !strings.HasPrefix(m, common) {
			common = common[:len(common)-1]
		}
	}
	return common, matches
}
