package flows

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
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
		step      int
		text      string
		progress  *common.Progress
		err       error
		rehearsal bool // the ceremony is a rehearsal (asked after the step)
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
	ceremonyRecoveredMsg struct {
		text string
		err  error
	}
)

// ceremonyLeftover is a ceremony a previous run left unfinished (it was
// killed before it could abort: its key may be on the token, it wrote no
// transcript), as the starter reports it instead of a new ceremony. The
// flow says so first and cleans it up, with the key label typed, before a
// new ceremony can start.
type ceremonyLeftover interface {
	error
	Leftover() string
	KeyLabel() string
	TokenLabel() string
	Recover(confirm string, pin []byte) (string, error)
}

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
	// rehearsal: the offline check was overridden; every screen says so.
	rehearsal bool
	done      []string // what each finished step did
	form      components.Form
	in        []model.CeremonyInput // what each of the form's fields is
	busy      bool
	err       string

	text, textFile string // challenge or final message for the current step
	progress       common.Progress
	override       bool   // the offline step's rehearsal override is being typed
	sent           string // the signature field's value when it was sent (this step)
	queued         bool   // enter was pressed while a signature was being checked

	// a previous run's unfinished ceremony, being cleaned up
	leftover  ceremonyLeftover
	lform     components.Form
	recovered string // what cleaning it up did
	restart   common.CeremonyStarter

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
	w.start, w.restart = nil, start
	return func() tea.Msg {
		cer, err := start(ctx)
		return ceremonyStartedMsg{cer, err}
	}
}

// step is the current step as package ceremony declares it.
func (w *ceremonyWizard) step() common.CeremonyStep {
	if w.at < len(w.steps) {
		return w.steps[w.at]
	}
	return common.CeremonyStep{}
}

func (w *ceremonyWizard) stepName() string { return w.step().Name }

// setForm makes the form of inputs.
func (w *ceremonyWizard) setForm(inputs []model.CeremonyInput) {
	fields := make([]*components.Field, 0, len(inputs))
	for _, in := range inputs {
		var f *components.Field
		switch in.Kind {
		case model.InputSecret:
			f = components.SecretField(in.Label, in.Hint)
			f.Required = in.Required
		default: // text, and a file's path or its pasted content
			f = components.TextField(in.Label, "", in.Hint, in.Required)
		}
		fields = append(fields, f)
	}
	w.form, w.in = components.Form{Fields: fields}, inputs
}

// Capturing: the ceremony owns the keyboard until it is closed or aborted,
// and so does the clean-up of a previous run's leftover.
func (w *ceremonyWizard) Capturing() bool {
	return (w.cer != nil && !w.finished) || w.leftover != nil
}

func (w *ceremonyWizard) Back() bool {
	if w.leftover != nil {
		if !w.busy {
			w.leaveLeftover()
		}
		return true
	}
	if w.Capturing() {
		w.openAsk()
		return true
	}
	return false
}

// enter prepares the form of the current step from its inputs, and fetches
// the text it has witnesses sign.
func (w *ceremonyWizard) enter() tea.Cmd {
	w.err, w.text, w.textFile, w.override, w.sent = "", "", "", false, ""
	w.progress = common.Progress{}
	st := w.step()
	w.setForm(st.Inputs)
	if st.Signs == model.SignNothing {
		return nil
	}
	cer, at, signs := w.cer, w.at, st.Signs
	w.busy = true
	return func() tea.Msg {
		var t, f string
		var err error
		switch signs {
		case model.SignFinal:
			t, f, err = cer.FinalMessage()
		default:
			t, f, err = cer.Challenge()
		}
		return ceremonyTextMsg{at, t, f, err}
	}
}

func (w *ceremonyWizard) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ceremonyStartedMsg:
		w.busy = false
		var lo ceremonyLeftover
		if errors.As(msg.err, &lo) {
			w.openLeftover(lo)
			return nil
		}
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
	case ceremonyRecoveredMsg:
		w.busy = false
		if msg.err != nil {
			w.lform.Err = common.ErrText(msg.err)
			return nil
		}
		w.leftover, w.recovered = nil, common.Inert(msg.text)
		return nil
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
	w.rehearsal = w.rehearsal || msg.rehearsal
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
		if w.step().Action == model.ActAddClosingSignature {
			w.busy = true
			cer, step := w.cer, w.at
			return func() tea.Msg {
				path, err := cer.Close()
				return ceremonyStepMsg{step: step, text: "transcript written to " + path, err: err}
			}
		}
	}
	w.done[w.at] = common.Inert(msg.text)
	if w.step().Action == model.ActAddClosingSignature {
		w.finished = true
		w.outcome = "ceremony complete: " + common.Inert(msg.text)
		return nil
	}
	w.at++
	return w.enter()
}

// openLeftover shows what the previous run left and asks for the key label
// (typed: the key is destroyed) and the token's PIN.
func (w *ceremonyWizard) openLeftover(lo ceremonyLeftover) {
	w.leftover, w.recovered, w.err = lo, "", ""
	label := common.Inert(lo.KeyLabel())
	w.lform = components.Form{Fields: []*components.Field{
		components.TextField("key label", "", "type "+label+" to destroy the leftover key", true),
		components.SecretField("PIN of token "+common.Inert(lo.TokenLabel()), "to log in and destroy the key"),
	}}
	w.lform.Fields[1].Required = true
}

// leaveLeftover leaves the previous run's key as it is: no ceremony starts.
func (w *ceremonyWizard) leaveLeftover() {
	w.finished = true
	w.outcome = "the unfinished ceremony was left as it is (" + common.Inert(w.leftover.Leftover()) +
		"); no new ceremony starts until it is cleaned up: run ceremony run again and confirm"
	w.leftover = nil
}

func (w *ceremonyWizard) leftoverInput(msg tea.Msg) tea.Cmd {
	if w.busy {
		return nil
	}
	switch w.lform.Update(msg) {
	case components.FormCancel:
		w.leaveLeftover()
	case components.FormSubmit:
		lo := w.leftover
		confirm := strings.TrimSpace(w.lform.Fields[0].Value())
		if confirm != lo.KeyLabel() {
			w.lform.Fields[1].Clear() // the PIN never lingers in a refused form
			w.lform.Err = "type the key label " + common.Inert(lo.KeyLabel()) + " to destroy the leftover key, or esc to leave it"
			return nil
		}
		pin := []byte(w.lform.Fields[1].In.String())
		w.lform.Fields[1].Clear()
		w.busy, w.lform.Err = true, ""
		return func() tea.Msg {
			defer components.Wipe(pin)
			text, err := lo.Recover(confirm, pin)
			return ceremonyRecoveredMsg{text, err}
		}
	}
	return nil
}

func (w *ceremonyWizard) input(msg tea.Msg) tea.Cmd {
	if w.leftover != nil {
		return w.leftoverInput(msg)
	}
	if w.cer == nil && w.recovered != "" && !w.busy && !w.finished {
		if km, ok := msg.(tea.KeyPressMsg); ok && km.String() == "enter" && w.restart != nil {
			w.busy, w.start, w.recovered = true, w.restart, ""
			return w.Refresh()
		}
		return nil
	}
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
		if len(w.form.Fields) > 0 && w.step().Signs != model.SignNothing {
			if km, ok := msg.(tea.KeyPressMsg); ok && (km.String() == "enter" || km.String() == "ctrl+s") {
				w.queued = true
			} else {
				w.form.Update(msg)
			}
		}
		return nil
	}
	km, isKey := msg.(tea.KeyPressMsg)
	if o := w.step().Override; o != nil && !w.override && isKey && key.Matches(km, k.Override) {
		w.override = true
		w.setForm([]model.CeremonyInput{*o})
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

// stepArgs are the form's values as a step's action takes them: text
// inputs (text, file or paste) and secret inputs, each in the order the step
// declares them.
type stepArgs struct {
	texts   []string
	secrets [][]byte
}

func (a stepArgs) text(i int) string {
	if i < len(a.texts) {
		return a.texts[i]
	}
	return ""
}

func (a stepArgs) secret(i int) []byte {
	if i < len(a.secrets) {
		return a.secrets[i]
	}
	return nil
}

// wipe clears the secrets once the step ran.
func (a stepArgs) wipe() {
	for _, b := range a.secrets {
		components.Wipe(b)
	}
}

// args takes the form's values: a secret leaves its field as bytes, and a
// signature's field is emptied, ready for the next witness's file.
func (w *ceremonyWizard) args() stepArgs {
	var a stepArgs
	for i, in := range w.in {
		if i >= len(w.form.Fields) {
			break
		}
		f := w.form.Fields[i]
		switch in.Kind {
		case model.InputSecret:
			a.secrets = append(a.secrets, []byte(f.In.String()))
			f.Clear()
		case model.InputFileOrPaste:
			v := f.Value()
			w.sent = v
			f.Clear()
			a.texts = append(a.texts, v)
		default:
			a.texts = append(a.texts, f.Value())
		}
	}
	return a
}

// run starts the current step's action with what the form holds.
func (w *ceremonyWizard) run() tea.Cmd {
	cer, at, act := w.cer, w.at, w.step().Action
	if act == model.ActNone {
		return nil
	}
	a := w.args()
	one := func(s string, err error) (string, *common.Progress, error) { return s, nil, err }
	signed := func(p common.Progress, err error) (string, *common.Progress, error) {
		if err != nil {
			return "", nil, err
		}
		return "accepted " + p.Name + " (" + common.Itoa(p.Done) + " of " + common.Itoa(p.Need) + ")", &p, nil
	}
	do := func() (string, *common.Progress, error) {
		defer a.wipe()
		switch act {
		case model.ActLoadRequest:
			return one(cer.LoadRequest(a.text(0)))
		case model.ActCheckOffline:
			return one(cer.CheckOffline(a.text(0)))
		case model.ActOpenHSM:
			return one(cer.OpenHSM(a.secret(0)))
		case model.ActAddWitness:
			return signed(cer.AddWitness(a.text(0)))
		case model.ActMixEntropy:
			return one(cer.MixEntropy(a.secret(0)))
		case model.ActGenerateKey:
			return one(cer.GenerateKey())
		case model.ActBackup:
			return one(cer.Backup(a.text(0), a.secret(0)))
		case model.ActAddClosingSignature:
			return signed(cer.AddClosingSignature(a.text(0)))
		}
		return "", nil, errors.New("this console cannot run the step's action " + act.String())
	}
	w.busy, w.err = true, ""
	return func() tea.Msg {
		text, p, err := do()
		return ceremonyStepMsg{step: at, text: text, progress: p, err: err, rehearsal: cer.Rehearsal()}
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
	if w.rehearsal {
		// On every screen from the moment the check was overridden.
		out = append(out, s.R(s.Warn, common.Truncate("*** REHEARSAL *** not proven offline: this ceremony makes no wallet and leaves no key", width)))
	}
	if w.cer == nil {
		if w.leftover != nil {
			out = append(out, "", s.R(s.Bad, common.Truncate("UNFINISHED CEREMONY FOUND", width)))
			for _, l := range common.Wrap(common.Inert(w.leftover.Leftover()), width) {
				out = append(out, s.R(s.Warn, l))
			}
			out = append(out, "")
			for _, l := range common.Wrap("Destroy the leftover key "+common.Inert(w.leftover.KeyLabel())+" on token "+common.Inert(w.leftover.TokenLabel())+
				" and write the aborted transcript? Type the key label and the token's PIN.", width) {
				out = append(out, l)
			}
			out = append(out, w.lform.View(s, width)...)
			out = append(out, s.R(s.Muted, common.Truncate("enter: destroy the key and record the abort · esc: leave it (no ceremony starts)", width)))
			if w.busy {
				out = append(out, s.R(s.Info, "working…"))
			}
			return strings.Join(w.scroll(out, h), "\n")
		}
		if w.recovered != "" && !w.busy {
			out = append(out, "", s.R(s.Bad, "PREVIOUS CEREMONY ABORTED"))
			for _, l := range common.Wrap(w.recovered, width) {
				out = append(out, s.R(s.OK, l))
			}
			out = append(out, "", s.R(s.Muted, common.Truncate("enter: start a new ceremony · ctrl+c: quit", width)))
			return strings.Join(w.scroll(out, h), "\n")
		}
		if w.finished {
			var lines []string
			for _, l := range common.Wrap(w.outcome, width) {
				lines = append(lines, s.R(s.Error, l))
			}
			return strings.Join(append(out, lines...), "\n")
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
			also := "also in " + common.Inert(w.textFile)
			if st.SignWith != "" {
				also += "; sign it with: " + common.Inert(st.SignWith)
			}
			for _, l := range common.Wrap(also, width) {
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
		if st.Override != nil {
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
	if w.leftover != nil {
		return []key.Binding{k.NextField, k.Submit, k.Back}
	}
	if w.finished || w.cer == nil {
		return []key.Binding{k.Back, k.Help, k.Quit}
	}
	if len(w.form.Fields) == 0 {
		b := []key.Binding{k.RunStep}
		if w.step().Override != nil {
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
		switch {
		case w.outcome != "":
			return w.outcome
		case w.recovered != "":
			return w.recovered
		case w.leftover != nil:
			return "the unfinished ceremony was left as it is: " + common.Inert(w.leftover.Leftover())
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
