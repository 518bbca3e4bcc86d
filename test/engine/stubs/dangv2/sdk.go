// Package dangv2 is replaced by wva's test/engine/build-engine.sh: the Go module proxy on this
// machine refuses github.com/vito/dang/v2, so modules written in Dang v2 cannot be loaded by this
// build. Every other SDK is unaffected.
package dangv2

import (
	"context"
	"errors"

	"github.com/dagger/dagger/core"
	"github.com/dagger/dagger/dagql"
)

var errUnavailable = errors.New("the Dang v2 SDK is not available in this engine build")

// Impl reports that Dang v2 is unavailable.
type Impl struct{}

func (Impl) ModuleTypes(
	context.Context,
	*core.SchemaBuilder,
	dagql.ObjectResult[*core.ModuleSource],
	dagql.ObjectResult[*core.Module],
) (dagql.ObjectResult[*core.Module], error) {
	return dagql.ObjectResult[*core.Module]{}, errUnavailable
}

func (Impl) Runtime(
	context.Context,
	*core.SchemaBuilder,
	dagql.ObjectResult[*core.ModuleSource],
) (core.ModuleRuntime, error) {
	return nil, errUnavailable
}
