// Package tuist is a headless stand-in for github.com/vito/tuist, whose published versions the Go
// module proxy on this machine refuses. It lets the Dagger CLI and engine compile; the interactive
// (pretty) terminal UI is unavailable: Start reports an error and nothing is drawn. The plain
// frontend that non-TTY callers (the SDKs, CI) use does not touch this package.
// Written for wva's test/engine/build-engine.sh.
package tuist

import (
	"errors"
	"io"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
)

// ErrHeadless is returned where an interactive terminal would be needed.
var ErrHeadless = errors.New("interactive terminal UI is not available in this build")

// Context is what a component renders into.
type Context struct {
	Width  int
	Height int
	lines  *[]string
}

func (c Context) Line(s string) {
	if c.lines != nil {
		*c.lines = append(*c.lines, s)
	}
}
func (c Context) Lines(s ...string) {
	if c.lines != nil {
		*c.lines = append(*c.lines, s...)
	}
}
func (c Context) ScreenHeight() int { return c.Height }
func (c Context) Resize(w, h int) Context {
	return Context{Width: w, Height: h, lines: c.lines}
}
func (c Context) SetFocus(Component) {}

// Component renders lines.
type Component interface{ Render(Context) }

type Focusable interface {
	Component
	SetFocused(Context, bool)
}
type Mounter interface {
	Component
	OnMount(Context)
}
type Dismounter interface {
	Component
	OnDismount()
}
type Interactive interface {
	Component
	HandleKeyPress(Context, uv.KeyPressEvent) bool
}
type MouseEvent struct {
	uv.MouseEvent
	Row, Col int
}
type MouseEnabled interface {
	Component
	HandleMouse(Context, MouseEvent) bool
}
type Hoverable interface {
	Component
	SetHovered(Context, bool)
}

// RenderResult is the output of rendering a child.
type RenderResult struct {
	Lines []string
}

// Compo is embedded by components.
type Compo struct{}

func (c *Compo) Update() {}
func (c *Compo) RenderChild(ctx Context, child Component) {
	ctx.Lines(c.RenderChildResult(ctx, child).Lines...)
}
func (c *Compo) RenderChildResult(ctx Context, child Component) RenderResult {
	var lines []string
	child.Render(Context{Width: ctx.Width, Height: ctx.Height, lines: &lines})
	return RenderResult{Lines: lines}
}
func (c *Compo) RenderChildInline(ctx Context, child Component) string {
	r := c.RenderChildResult(ctx, child)
	if len(r.Lines) == 0 {
		return ""
	}
	return r.Lines[0]
}

// Container holds children.
type Container struct {
	Compo
	Children []Component
}

func (c *Container) AddChild(ch Component) { c.Children = append(c.Children, ch) }

func (c *Container) Render(ctx Context) {
	for _, ch := range c.Children {
		c.RenderChild(ctx, ch)
	}
}

// Terminal is the output device.
type Terminal interface{}

func NewStdTerminal() Terminal { return nil }

// TUI is the root; headless here.
type TUI struct{ Container }

func New(Terminal) *TUI { return &TUI{} }
func (t *TUI) RemoveChild(c Component) {
	for i, ch := range t.Children {
		if ch == c {
			t.Children = append(t.Children[:i], t.Children[i+1:]...)
			return
		}
	}
}
func (t *TUI) SetFocus(Component) {}
func (t *TUI) RequestRender(bool) {}

// RenderLines renders the whole tree once, as the final report does.
func (t *TUI) RenderLines() []string {
	var lines []string
	t.Render(Context{Width: 80, Height: 1 << 20, lines: &lines})
	return lines
}
func (t *TUI) SetShowHardwareCursor(bool) {}
func (t *TUI) Dispatch(fn func())         { fn() }
func (t *TUI) Start() error               { return ErrHeadless }
func (t *TUI) Stop()                      {}
func (t *TUI) SetDebugWriter(io.Writer)   {}
func (t *TUI) Exec(fn func(in io.Reader, out io.Writer, errOut io.Writer) error) error {
	return ErrHeadless
}
func (t *TUI) ShowOverlay(c Component, opts *OverlayOptions) *OverlayHandle {
	return &OverlayHandle{}
}

type SizeValue struct{ abs int }

func SizeAbs(n int) SizeValue { return SizeValue{abs: n} }

type Anchor int

const (
	AnchorTopLeft Anchor = iota
	AnchorTopRight
)

type OverlayMargin struct{ Top, Right, Bottom, Left int }
type OverlayOptions struct {
	Width  SizeValue
	Anchor Anchor
	Margin OverlayMargin
}
type OverlayHandle struct{}

func (h *OverlayHandle) Remove() {}

// Spinner is an animated status glyph.
type Spinner struct {
	Compo
	Epoch time.Time
}

func NewSpinner() *Spinner        { return &Spinner{} }
func (s *Spinner) Render(Context) {}

// TextInput is a one-line editor.
type TextInput struct {
	Compo
	Prompt         string
	OnSubmit       func(ctx Context, value string) bool
	KeyInterceptor func(ctx Context, ev uv.KeyPressEvent) bool
	value          string
}

func NewTextInput(v string) *TextInput { return &TextInput{value: v} }
func (t *TextInput) Render(Context)    {}
func (t *TextInput) Value() string     { return t.value }
func (t *TextInput) SetValue(v string) { t.value = v }
func (t *TextInput) InsertRune(r rune) { t.value += string(r) }

type Completion struct {
	Label  string
	Detail string
}
type CompletionResult struct {
	Items       []Completion
	ReplaceFrom int
}
type CompletionMenu struct{ Compo }

func NewCompletionMenu(*TextInput, func(input string, cursorPos int) CompletionResult) *CompletionMenu {
	return &CompletionMenu{}
}
func (m *CompletionMenu) Render(Context)                                {}
func (m *CompletionMenu) HandleKeyPress(Context, uv.KeyPressEvent) bool { return false }
