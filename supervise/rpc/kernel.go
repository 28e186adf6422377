package rpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// KernelFeaturesMethod names the extra method KernelFeaturesExtra serves (supervisord-lite's,
// not supervisord's: add it to Options.Extra).
const KernelFeaturesMethod = "supervisord_lite.getKernelFeatures"

// KernelFeaturesExtra is the method that lists supervise.KernelFeatures of the serving
// process: an array of structs {name, since, available, use, without}, so a client (`ctl
// explain`, `ctl ps`) can say what the daemon's kernel lacks.
func KernelFeaturesExtra() ExtraMethod {
	return func(context.Context, []any) (any, error) {
		var out []any
		for _, f := range supervise.KernelFeatures() {
			out = append(out, map[string]any{"name": f.Name, "since": f.Since, "available": f.Available,
				"use": f.Use, "without": f.Without})
		}
		return out, nil
	}
}

// MissingKernelFeatures asks the server (KernelFeaturesMethod) which kernel features its
// process lacks. A server without the method (supervisord, an older supervisord-lite) gives
// nil and no error.
func (c *Client) MissingKernelFeatures(ctx context.Context) ([]supervise.KernelFeature, error) {
	v, err := c.Call(ctx, KernelFeaturesMethod)
	var f *Fault
	if errors.As(err, &f) && f.Code == FaultUnknownMethod {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("rpc: %s answered %T, not an array", KernelFeaturesMethod, v)
	}
	var out []supervise.KernelFeature
	for i, e := range list {
		s, ok := e.(xmlrpc.Struct)
		if !ok {
			return nil, fmt.Errorf("rpc: %s: entry %d is %T, not a struct", KernelFeaturesMethod, i, e)
		}
		m := s.Map()
		str := func(k string) string { v, _ := m[k].(string); return v }
		avail, _ := m["available"].(bool)
		if !avail {
			out = append(out, supervise.KernelFeature{Name: str("name"), Since: str("since"), Use: str("use"), Without: str("without")})
		}
	}
	return out, nil
}
