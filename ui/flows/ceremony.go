package flows

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// Messages of the ceremony flow.
type (
	ceremonyStartedMsg struct {
		cer common.Ceremony
		err error
	}
	// ceremonyStepMsg is the outcome of one step (or one witness signature).
	ceremonyStepMsg struct {
		step     int
		text     string
		progress *common.Progress
		err      error
	}
	// ceremonyTextMsg carries the challenge or the final message.
	ceremonyTextMsg struct {
		step       int
		text, file string
		err        error
	}
	ceremonyAbortedMsg struct {
		text string
		err  error
	}
)

// ceremonyWizard walks the key-ceremony officer through the ceremony one
// step at a time: each step says what it will do before it runs and what it
// did after. While it runs, every key but ctrl+c goes to it; ctrl+x (or esc)
// asks to abort, ctrl+c aborts at once. Either way any key made is
// destroyed and the transcript says where and why it stopped.
type ceremonyWizard struct {
	c     *common.Common
	start common.CeremonyStarter
	cer   common.Ceremony
	id    string
	steps []common.CeremonyStep
	at    int
	done  []string // what each finished step did
	form  components.Form
	busy  bool
	err   string

	text, textFile string // challenge or final message for the current step
	progress       common.Progress
	override       bool   // the offline step's rehearsal override is being typed
	sent           string // the signature field's value when it was sent
	queued         bool   // enter was pressed while a signature was being checked

	asking   bool // the abort confirmation is open
	ask      components.Form
	finished bool
	outcome  string // what the end of the ceremony did (closed or aborted)
	aborted  bool
	sc       components.Scroller
}

// NewCeremony opens the flow.
func NewCeremony(c *common.Common, start common.CeremonyStarter) Wizard {
	return &ceremonyWizard{c: c, start: start, busy: true}
}

// Refresh starts the ceremony the first time; afterwards there is nothing
// to reload (the ceremony's state is the flow's own).
func (w *ceremonyWizard) Refresh() tea.Cmd {
	if w.cer != nil || w.start == nil {
		return nil
	}
	start, ctx := w.start, w.c.Load.Context()
	w.start = nil
	return func() tea.Msg {
		cer, err := start(ctx)
		return ceremonyStartedMsg{cer, err}
	}
}

func (w *ceremonyWizard) stepName() string {
	if w.at < len(w.steps) {
		return w.steps[w.at].Name
	}
	return ""
}

// Capturing: the ceremony owns the keyboard until it is closed or aborted.
func (w *ceremonyWizard) Capturing() bool { return w.cer != nil && !w.finished }

func (w *ceremonyWizard) Back() bool {
	if w.Capturing() {
		w.openAsk()
		return true
	}
	return false
}

// enter prepares the form of the current step.
func (w *ceremonyWizard) enter() tea.Cmd {
	w.err, w.text, w.textFile, w.override = "", "", "", false
	w.progress = common.Progress{}
	var fields []*components.Field
	switch w.stepName() {
	case "request":
		fields = []*components.Field{components.TextField("request file", "", "the file `console request export` wrote, on the removable media", true)}
	case "hsm":
		fields = []*components.Field{components.SecretField("PIN", "the token's user PIN; never shown, logged or recorded")}
	case "witnesses", "close":
		w.form = components.Form{Fields: []*components.Field{components.TextField("signature", "", "file with the witness's signature (e.g. /media/usb/alice.sig), or paste it", true)}}
		cer, step, final := w.cer, w.at, w.stepName() == "close"
		w.busy = true
		return func() tea.Msg {
			var t, f string
			var err error
			if final {
				t, f, err = cer.FinalMessage()
			} else {
				t, f, err = cer.Challenge()
			}
			return ceremonyTextMsg{step, t, f, err}
		}
	case "entropy":
		fields = []*components.Field{components.SecretField("entropy", "type dice rolls or other entropy, at least 16 characters; only its digest is recorded")}
	case "backup":
		b := components.TextField("backup token", "", "label of the backup token; empty: backed up out of band, proof later", false)
		pin := components.SecretField("backup PIN", "the backup token's user PIN")
		pin.Required = false
		fields = []*components.Field{b, pin}
	}
	w.form = components.Form{Fields: fields}
	return nil
}

func (w *ceremonyWizard) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ceremonyStartedMsg:
		w.busy = false
		if msg.err != nil {
			w.err = common.ErrText(msg.err)
			w.finished = true
			w.outcome = "the ceremony could not start: " + w.err
			return nil
		}
		w.cer, w.id, w.steps = msg.cer, common.Inert(msg.cer.ID()), msg.cer.Steps()
		w.done = make([]string, len(w.steps))
		return w.enter()
	case ceremonyTextMsg:
		if msg.step == w.at {
			w.busy = false
			w.text, w.textFile = msg.text, msg.file
			if msg.err != nil {
				w.err = common.ErrText(msg.err)
			}
		}
		return nil
	case ceremonyStepMsg:
		return w.stepDone(msg)
	case ceremonyAbortedMsg:
		w.busy, w.finished, w.aborted, w.asking = false, true, true, false
		w.outcome = common.Inert(msg.text)
		if msg.err != nil {
			w.outcome += "\n" + common.ErrText(msg.err)
		}
		return nil
	case tea.KeyPressMsg, tea.PasteMsg:
		return w.input(msg)
	}
	return nil
}

func (w *ceremonyWizard) stepDone(msg ceremonyStepMsg) tea.Cmd {
	w.busy = false
	if msg.step != w.at {
		return nil
	}
	if msg.err != nil {
		w.err = common.ErrText(msg.err)
		w.queued = false
		// A refused signature comes back into its field to be corrected,
		// unless something else was typed meanwhile.
		if w.sent != "" && len(w.form.Fields) > 0 && w.form.Fields[0].Value() == "" {
			w.form.Fields[0].In.Reset("", w.sent)
		}
		return nil
	}
	w.err = ""
	if msg.progress != nil {
		w.progress = *msg.progress
		if w.progress.Done < w.progress.Need {
			w.done[w.at] = common.Inert(msg.text)
			if w.queued {
				w.queued = false
				return w.run()
			}
			return nil
		}
		if w.stepName() == "close" {
			w.busy = true
			cer, step := w.cer, w.at
			return func() tea.Msg {
				path, err := cer.Close()
				return ceremonyStepMsg{step: step, text: "transcript written to " + path, err: err}
			}
		}
	}
	w.done[w.at] = common.Inert(msg.text)
	if w.stepName() == "close" {
		w.finished = true
		w.outcome = "ceremony complete: " + common.Inert(msg.text)
		return nil
	}
	w.at++
	return w.enter()
}

func (w *ceremonyWizard) input(msg tea.Msg) tea.Cmd {
	if w.finished || w.cer == nil {
		return nil
	}
	k := w.c.Keys
	if w.asking {
		switch w.ask.Update(msg) {
		case components.FormCancel:
			w.asking = false
		case components.FormSubmit:
			if strings.ToLower(w.ask.Field("confirm").Value()) != "abort" {
				w.ask.Err = "type abort to confirm, or esc to go on with the ceremony"
				return nil
			}
			return w.abort(w.ask.Field("reason").Value())
		}
		return nil
	}
	if km, ok := msg.(tea.KeyPressMsg); ok && (key.Matches(km, k.Abort) || km.String() == "esc") {
		w.openAsk()
		return nil
	}
	if w.busy {
		// Typing ahead goes into the field, and enter waits for the step
		// under way to answer (the next witness's file, typed quickly).
		if len(w.form.Fields) > 0 && w.stepName() == "witnesses" || w.stepName() == "close" {
			if km, ok := msg.(tea.KeyPressMsg); ok && (km.String() == "enter" || km.String() == "ctrl+s") {
				w.queued = true
			} else {
				w.form.Update(msg)
			}
		}
		return nil
	}
	km, isKey := msg.(tea.KeyPressMsg)
	if w.stepName() == "offline" && !w.override && isKey && key.Matches(km, k.Override) {
		w.override = true
		w.form = components.Form{Fields: []*components.Field{components.TextField("override", "",
			"REHEARSAL ONLY: why this ceremony runs on a connected machine; it is recorded and the wallet cannot be imported", true)}}
		return nil
	}
	if len(w.form.Fields) == 0 {
		if isKey && key.Matches(km, k.RunStep) {
			return w.run()
		}
		return nil
	}
	switch w.form.Update(msg) {
	case components.FormSubmit:
		return w.run()
	case components.FormCancel:
		w.openAsk()
	}
	return nil
}

func (w *ceremonyWizard) openAsk() {
	if w.finished || w.cer == nil {
		return
	}
	w.asking = true
	w.ask = components.Form{Fields: []*components.Field{
		components.TextField("reason", "cancelled by the operator", "recorded in the transcript", true),
		components.TextField("confirm", "", "type abort: any key made so far is destroyed", true),
	}}
	w.ask.Focus = 1
}

func (w *ceremonyWizard) abort(reason string) tea.Cmd {
	w.busy = true
	cer, step := w.cer, w.stepName()
	return func() tea.Msg {
		text, err := cer.Abort(step, reason)
		return ceremonyAbortedMsg{text, err}
	}
}

// run starts the current step with what the form holds.
func (w *ceremonyWizard) run() tea.Cmd {
	cer, step := w.cer, w.at
	f := &w.form
	val := func(label string) string {
		if x := f.Field(label); x != nil {
			return x.Value()
		}
		return ""
	}
	secret := func(label string) []byte {
		x := f.Field(label)
		if x == nil {
			return nil
		}
		b := []byte(x.In.String())
		x.Clear()
		return b
	}
	var do func() (string, *common.Progress, error)
	switch w.stepName() {
	case "request":
		path := val("request file")
		do = func() (string, *common.Progress, error) { s, err := cer.LoadRequest(path); return s, nil, err }
	case "offline":
		override := val("override")
		do = func() (string, *common.Progress, error) { s, err := cer.CheckOffline(override); return s, nil, err }
	case "hsm":
		pin := secret("PIN")
		do = func() (string, *common.Progress, error) {
			s, err := cer.OpenHSM(pin)
			components.Wipe(pin)
			return s, nil, err
		}
	case "witnesses", "close":
		sig := val("signature")
		w.sent = sig
		f.Field("signature").Clear() // ready for the next witness's file
		final := w.stepName() == "close"
		do = func() (string, *common.Progress, error) {
			var p common.Progress
			var err error
			if final {
				p, err = cer.AddClosingSignature(sig)
			} else {
				p, err = cer.AddWitness(sig)
			}
			if err != nil {
				return "", nil, err
			}
			return "accepted " + p.Name + " (" + common.Itoa(p.Done) + " of " + common.Itoa(p.Need) + ")", &p, nil
		}
	case "entropy":
		e := secret("entropy")
		do = func() (string, *common.Progress, error) {
			s, err := cer.MixEntropy(e)
			components.Wipe(e)
			return s, nil, err
		}
	case "key":
		do = func() (string, *common.Progress, error) { s, err := cer.GenerateKey(); return s, nil, err }
	case "backup":
		token, pin := val("backup token"), secret("backup PIN")
		do = func() (string, *common.Progress, error) {
			s, err := cer.Backup(token, pin)
			components.Wipe(pin)
			return s, nil, err
		}
	default:
		return nil
	}
	w.busy, w.err = true, ""
	return func() tea.Msg {
		text, p, err := do()
		return ceremonyStepMsg{step: step, text: text, progress: p, err: err}
	}
}

func (w *ceremonyWizard) View(width, h int) string {
	s := w.c.Styles
	var out []string
	title := "Witnessed key ceremony"
	if w.id != "" {
		title += " " + w.id
	}
	if w.cer != nil && !w.finished && w.at < len(w.steps) {
		title += " — step " + common.Itoa(w.at+1) + " of " + common.Itoa(len(w.steps))
	}
	out = append(out, s.R(s.Section, common.Truncate(title, width)))
	if w.cer == nil {
		if w.finished {
			return strings.Join(append(out, s.R(s.Error, common.Truncate(w.outcome, width))), "\n")
		}
		return strings.Join(append(out, s.R(s.Muted, "starting…")), "\n")
	}
	var marks []string
	for i, st := range w.steps {
		m := "·"
		switch {
		case i < w.at || (w.finished && !w.aborted):
			m = "✓"
		case i == w.at && w.aborted:
			m = "✗"
		case i == w.at:
			m = "▶"
		}
		marks = append(marks, m+st.Name)
	}
	for _, l := range common.Pack(width, marks...) {
		out = append(out, s.R(s.Muted, l))
	}
	if w.finished {
		st := s.OK
		if w.aborted {
			st = s.Bad
			out = append(out, "", s.R(st, "ABORTED"))
		}
		for _, l := range strings.Split(w.outcome, "\n") {
			for _, x := range common.Wrap(l, width) {
				out = append(out, s.R(st, x))
			}
		}
		out = append(out, "", s.R(s.Muted, "esc: back to the flows"))
		return strings.Join(w.scroll(out, h), "\n")
	}
	if w.asking {
		out = append(out, "", s.R(s.Bad, common.Truncate("Abort the ceremony at step "+w.stepName()+"?", width)))
		out = append(out, w.ask.View(s, width)...)
		out = append(out, s.R(s.Muted, common.Truncate("enter: abort · esc: go on with the ceremony", width)))
		return strings.Join(w.scroll(out, h), "\n")
	}
	st := w.steps[w.at]
	out = append(out, "", s.R(s.Title, common.Truncate(common.Inert(st.Title), width)))
	for _, l := range common.Wrap(common.Inert(st.Describe), width) {
		out = append(out, l)
	}
	if w.at > 0 && w.done[w.at-1] != "" && w.progress.Done == 0 {
		out = append(out, s.R(s.OK, common.Truncate("✓ "+w.steps[w.at-1].Name+": "+w.done[w.at-1], width)))
	}
	if w.text != "" {
		out = append(out, "")
		for _, l := range strings.Split(strings.TrimRight(w.text, "\n"), "\n") {
			out = append(out, s.R(s.Label, common.Truncate("  "+common.Inert(l), width)))
		}
		if w.textFile != "" {
			for _, l := range common.Wrap("also in "+common.Inert(w.textFile)+"; sign it with: ssh-keygen -Y sign -f KEY -n wallet-ceremony@plings.io FILE", width) {
				out = append(out, s.R(s.Muted, l))
			}
		}
	}
	if w.progress.Need > 0 {
		out = append(out, s.R(s.Info, common.Truncate("signatures: "+common.Itoa(w.progress.Done)+" of "+common.Itoa(w.progress.Need)+" — last: "+w.done[w.at], width)))
	}
	out = append(out, "")
	if len(w.form.Fields) > 0 {
		out = append(out, w.form.View(s, width)...)
	} else {
		hint := "enter: run this step"
		if w.stepName() == "offline" {
			hint += " · o: rehearsal override (recorded)"
		}
		out = append(out, s.R(s.Muted, hint))
	}
	if w.busy {
		out = append(out, s.R(s.Info, "working…"))
	}
	if w.err != "" {
		for _, l := range common.Wrap(w.err, width) {
			out = append(out, s.R(s.Error, l))
		}
	}
	return strings.Join(w.scroll(out, h), "\n")
}

// scroll keeps the end of the flow's text on screen: the form and the last
// message matter more than the step list when the window is short.
func (w *ceremonyWizard) scroll(out []string, h int) []string {
	if len(out) <= h || h <= 0 {
		return out
	}
	return append(out[:1:1], out[len(out)-h+1:]...)
}

func (w *ceremonyWizard) Status() string {
	switch {
	case w.cer == nil:
		return "ceremony"
	case w.finished && w.aborted:
		return "ceremony " + w.id + ": aborted"
	case w.finished:
		return "ceremony " + w.id + ": complete"
	}
	return "ceremony " + w.id + ": " + w.stepName()
}

func (w *ceremonyWizard) ShortHelp() []key.Binding {
	k := w.c.Keys
	if w.finished || w.cer == nil {
		return []key.Binding{k.Back, k.Help, k.Quit}
	}
	if len(w.form.Fields) == 0 {
		b := []key.Binding{k.RunStep}
		if w.stepName() == "offline" {
			b = append(b, k.Override)
		}
		return append(b, k.Abort)
	}
	return []key.Binding{k.NextField, k.Submit, k.Abort}
}

func (w *ceremonyWizard) FullHelp() [][]key.Binding {
	k := w.c.Keys
	return [][]key.Binding{{k.RunStep, k.NextField, k.PrevField, k.Submit}, {k.Override, k.Abort}}
}

// Shutdown aborts a ceremony still under way (ctrl+c, or the console
// closing): the key is destroyed and the transcript records it.
func (w *ceremonyWizard) Shutdown() string {
	if w.cer == nil || w.finished || w.cer.Finished() {
		if w.outcome != "" {
			return w.outcome
		}
		return ""
	}
	text, err := w.cer.Abort(w.stepName(), "the console was closed during the ceremony (ctrl+c, a signal, or the terminal went away)")
	w.finished, w.aborted = true, true
	msg := "ceremony " + w.id + " ABORTED at step " + w.stepName() + ": " + common.Inert(text)
	if err != nil {
		msg += "\n" + common.ErrText(err)
	}
	return msg
}
