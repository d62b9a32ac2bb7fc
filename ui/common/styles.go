package common

import (
	"io"
	"os"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
)

// Styles are every style the screens use, built once from the terminal's
// colour profile. Screens never name a colour: they pick a style here.
//
// Three levels:
//   - a colour profile (16 colours and up): the 16 basic ANSI colours, so the
//     operator's own terminal theme decides the exact shades;
//   - ASCII (a terminal without colours): only bold, reverse and underline;
//   - NoTTY: no escape sequences at all.
//
// Meaning never rests on a style alone: the selected row has a ">" marker,
// changed values a "*", the active screen brackets, states are words.
type Styles struct {
	plain bool // NoTTY: Render returns text unchanged
	ascii bool // NoTTY or ASCII: draw sparklines with ASCII, not block elements

	Title     lipgloss.Style // screen titles
	Section   lipgloss.Style // section headings inside a screen
	Label     lipgloss.Style // "DB", "HSM" in the header
	Muted     lipgloss.Style // secondary text
	Header    lipgloss.Style // table column headings
	Selected  lipgloss.Style // the row under the cursor
	TabActive lipgloss.Style
	TabIdle   lipgloss.Style
	ReadOnly  lipgloss.Style // the READ-ONLY mode badge
	Operator  lipgloss.Style // the OPERATOR mode badge
	OK        lipgloss.Style // healthy, reachable, chain OK
	Warn      lipgloss.Style // warning
	Bad       lipgloss.Style // failed, unhealthy, unreachable, chain broken
	Unknown   lipgloss.Style // unknown, not measured
	Changed   lipgloss.Style // a value that changed since the last refresh
	Error     lipgloss.Style // error messages in place
	Info      lipgloss.Style // transient messages
	Prompt    lipgloss.Style // the ":" and "/" prompts
	Help      help.Styles
}

// NewStyles builds the styles for a colour profile. Unknown is treated as
// 16 colours.
func NewStyles(p colorprofile.Profile) *Styles {
	s := &Styles{}
	switch {
	case p == colorprofile.NoTTY:
		s.plain, s.ascii = true, true
		return s
	case p == colorprofile.ASCII:
		s.ascii = true
		bold := lipgloss.NewStyle().Bold(true)
		s.Title = bold
		s.Section = bold
		s.Label = bold
		s.Header = bold.Underline(true)
		s.Selected = lipgloss.NewStyle().Reverse(true)
		s.TabActive = bold.Reverse(true)
		s.ReadOnly = bold.Reverse(true)
		s.Operator = bold
		s.Warn = bold
		s.Bad = bold.Reverse(true)
		s.Changed = bold.Underline(true)
		s.Error = bold
		s.Prompt = bold
		s.Help = help.Styles{ShortKey: bold, FullKey: bold}
		return s
	}
	// No white or bright black: they vanish on light, respectively some
	// dark (Solarized), backgrounds; faint is the neutral way to say minor.
	base := lipgloss.NewStyle()
	bold := base.Bold(true)
	faint := base.Faint(true)
	s.Title = bold
	s.Section = bold.Foreground(lipgloss.Cyan)
	s.Label = bold.Foreground(lipgloss.Cyan)
	s.Muted = faint
	s.Header = bold.Foreground(lipgloss.Cyan)
	s.Selected = base.Reverse(true)
	s.TabActive = bold.Reverse(true)
	s.TabIdle = faint
	s.ReadOnly = bold.Foreground(lipgloss.Black).Background(lipgloss.Yellow)
	s.Operator = bold.Foreground(lipgloss.Black).Background(lipgloss.Green)
	s.OK = base.Foreground(lipgloss.Green)
	s.Warn = bold.Foreground(lipgloss.Yellow)
	s.Bad = bold.Foreground(lipgloss.Red)
	s.Unknown = faint
	s.Changed = bold.Foreground(lipgloss.Magenta)
	s.Error = bold.Foreground(lipgloss.Red)
	s.Info = base.Foreground(lipgloss.Yellow)
	s.Prompt = bold.Foreground(lipgloss.Cyan)
	s.Help = help.Styles{
		ShortKey:       base.Foreground(lipgloss.Cyan),
		ShortDesc:      faint,
		ShortSeparator: faint,
		Ellipsis:       faint,
		FullKey:        base.Foreground(lipgloss.Cyan),
		FullDesc:       faint,
		FullSeparator:  faint,
	}
	return s
}

// R renders text in a style; with no terminal it returns the text as is,
// which also keeps View cheap.
func (s *Styles) R(st lipgloss.Style, text string) string {
	if s.plain || text == "" {
		return text
	}
	return st.Render(text)
}

// ASCIIGlyphs reports whether drawings (sparklines) keep to ASCII: with no
// terminal or one without colours, which may be a dumb one.
func (s *Styles) ASCIIGlyphs() bool { return s.ascii }

// Plain reports whether the styles emit no escape sequences at all.
func (s *Styles) Plain() bool { return s.plain }

// Health is the style of a health state.
func (s *Styles) Health(h model.HealthState) lipgloss.Style {
	switch h {
	case model.HealthHealthy:
		return s.OK
	case model.HealthWarning:
		return s.Warn
	case model.HealthFailed, model.HealthUnhealthy:
		return s.Bad
	default:
		return s.Unknown
	}
}

// Status is the style of a wallet status.
func (s *Styles) Status(st model.Status) lipgloss.Style {
	switch st {
	case model.StatusActive:
		return s.OK
	case model.StatusCompromised:
		return s.Bad
	case model.StatusDeprecated, model.StatusInactive:
		return s.Warn
	case model.StatusRetired:
		return s.Muted
	default:
		return lipgloss.Style{}
	}
}

// DetectProfile returns the colour profile for out. NO_COLOR set to any
// non-empty value (no-color.org; colorprofile alone only honours values that
// parse as true) gives plain text: no colour and no bold, reverse or
// underline either, so that the screen holds nothing but text and cursor
// movement (the selected row keeps its "> " mark). Pass the result both to
// Options.Profile and to tea.WithColorProfile.
func DetectProfile(out io.Writer, environ []string) colorprofile.Profile {
	p := colorprofile.Detect(out, environ)
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			p = colorprofile.NoTTY
		}
	}
	return p
}

// DefaultProfile is DetectProfile for the process's stdout and environment.
func DefaultProfile() colorprofile.Profile { return DetectProfile(os.Stdout, os.Environ()) }
