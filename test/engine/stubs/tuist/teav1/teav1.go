// Package teav1 is a headless stand-in for github.com/vito/tuist/teav1 (see ../tuist.go).
package teav1

import (
	tea "github.com/charmbracelet/bubbletea"
	"github.com/vito/tuist"
)

// Wrap adapts a bubbletea model as a component; headless here.
type Wrap struct {
	tuist.Compo
	model tea.Model
	quit  func()
}

func New(m tea.Model) *Wrap          { return &Wrap{model: m} }
func (w *Wrap) OnQuit(fn func())     { w.quit = fn }
func (w *Wrap) Render(tuist.Context) {}
