package rpc

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// More idle and slow connections than MaxConns: the oldest waiting ones are closed, other
// clients are served, and a connection in the middle of a request is left alone.
func TestMaxConnsClosesOldestWaiting(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake(), MaxConns: 10})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 40; i++ {
		c, err := net.Dial("unix", sock)
		require.NoError(t, err)
		if i%2 == 1 {
			_, err = c.Write([]byte("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Le"))
			require.NoError(t, err)
		}
		conns = append(conns, c)
	}
	cl := dialT(t, sock)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := cl.Call(ctx, "supervisor.getState")
		cancel()
		require.NoError(t, err)
	}
	// The first connections were closed by the server: reading them ends.
	require.NoError(t, conns[0].SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err := io.ReadAll(conns[0])
	assert.NoError(t, err, "closed by the server (EOF), not timed out")
	// The newest are still open.
	last := conns[len(conns)-1]
	require.NoError(t, last.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, err = last.Read(make([]byte, 1))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "the newest connection is still open")
}
