package rpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// fakeDeployer answers Deploy from a table by name.
type fakeDeployer map[string]struct {
	res supervise.DeployResult
	err error
}

func (f fakeDeployer) Deploy(_ context.Context, name string) (supervise.DeployResult, error) {
	r, ok := f[name]
	if !ok {
		return supervise.DeployResult{}, &supervise.ProcessError{Op: "deploy", Name: name, Err: supervise.ErrNotFound}
	}
	return r.res, r.err
}

func TestDeployMethod(t *testing.T) {
	d := fakeDeployer{
		"web":    {res: supervise.DeployResult{Name: "web", OldPid: 10, NewPid: 11, Overlap: true}},
		"g:work": {res: supervise.DeployResult{Name: "g:work", OldPid: 0, NewPid: 12}},
		"bad": {err: &supervise.ProcessError{Op: "deploy", Name: "bad",
			Err: supervise.ErrSpawn, Detail: "Exited too quickly (process log may have details)"}},
	}
	sock := serve(t, Options{Backend: newCaptureFake(), Extra: map[string]ExtraMethod{MethodDeployProcess: DeployExtra(d)}})
	c, err := Dial("unix://"+sock, "", "")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	res, err := c.DeployProcess(ctx, "web")
	require.NoError(t, err)
	assert.Equal(t, DeployResult{Name: "web", OldPid: 10, NewPid: 11, Overlap: true}, res)
	res, err = c.DeployProcess(ctx, "g:work")
	require.NoError(t, err)
	assert.Equal(t, DeployResult{Name: "g:work", NewPid: 12}, res)

	var f *Fault
	_, err = c.DeployProcess(ctx, "nosuch")
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, Fault{Code: FaultBadName, String: "BAD_NAME: nosuch"}, *f)
	_, err = c.DeployProcess(ctx, "bad")
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, FaultSpawnError, f.Code)
	_, err = c.Call(ctx, MethodDeployProcess)
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, FaultIncorrectParameters, f.Code)
}
