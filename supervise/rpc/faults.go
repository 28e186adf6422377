package rpc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Fault is an XML-RPC fault: Code is one of the Fault* constants, String supervisord's text
// ("BAD_NAME: web"). Client.Call returns faults as *Fault errors; errors.Is(err,
// &Fault{Code: FaultBadName}) matches any fault with that code.
type Fault = xmlrpc.Fault

// Struct is a decoded XML-RPC struct (members in order); Client.Call returns structs as
// this type. Its Map method gives a map.
type Struct = xmlrpc.Struct

// supervisord's fault codes (xmlrpc.py's Faults).
const (
	FaultUnknownMethod        = xmlrpc.UnknownMethod
	FaultIncorrectParameters  = xmlrpc.IncorrectParameters
	FaultBadArguments         = xmlrpc.BadArguments
	FaultSignatureUnsupported = xmlrpc.SignatureUnsupported
	FaultShutdownState        = xmlrpc.ShutdownState
	FaultBadName              = xmlrpc.BadName
	FaultBadSignal            = xmlrpc.BadSignal
	FaultNoFile               = xmlrpc.NoFile
	FaultNotExecutable        = xmlrpc.NotExecutable
	FaultFailed               = xmlrpc.Failed
	FaultAbnormalTermination  = xmlrpc.AbnormalTermination
	FaultSpawnError           = xmlrpc.SpawnError
	FaultAlreadyStarted       = xmlrpc.AlreadyStarted
	FaultNotRunning           = xmlrpc.NotRunning
	FaultSuccess              = xmlrpc.Success
	FaultAlreadyAdded         = xmlrpc.AlreadyAdded
	FaultStillRunning         = xmlrpc.StillRunning
	FaultCantReread           = xmlrpc.CantReread
)

// faultOf is the one place where errors become XML-RPC faults. name is the extra text
// supervisord puts after the fault name: the namespec as the client gave it (or the group
// name, or the signal), except where supervisord uses the engine's detail text instead
// (NO_FILE, NOT_EXECUTABLE and FAILED: the spawn error or message).
func faultOf(err error, name string) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	detail := name
	var pe *supervise.ProcessError
	if errors.As(err, &pe) && pe.Detail != "" {
		detail = pe.Detail
	}
	switch {
	case errors.Is(err, supervise.ErrShutdown):
		return xmlrpc.NewFault(FaultShutdownState, "")
	case errors.Is(err, supervise.ErrNotFound):
		return xmlrpc.NewFault(FaultBadName, name)
	case errors.Is(err, supervise.ErrBadSignal):
		return xmlrpc.NewFault(FaultBadSignal, name)
	case errors.Is(err, supervise.ErrAlreadyStarted):
		return xmlrpc.NewFault(FaultAlreadyStarted, name)
	case errors.Is(err, supervise.ErrNotRunning):
		return xmlrpc.NewFault(FaultNotRunning, name)
	case errors.Is(err, supervise.ErrSpawn):
		return xmlrpc.NewFault(FaultSpawnError, name)
	case errors.Is(err, supervise.ErrAbnormalTermination):
		return xmlrpc.NewFault(FaultAbnormalTermination, name)
	case errors.Is(err, supervise.ErrNoFile):
		return xmlrpc.NewFault(FaultNoFile, detail)
	case errors.Is(err, supervise.ErrNotExecutable):
		return xmlrpc.NewFault(FaultNotExecutable, detail)
	case errors.Is(err, supervise.ErrAlreadyAdded):
		return xmlrpc.NewFault(FaultAlreadyAdded, name)
	case errors.Is(err, supervise.ErrStillRunning):
		return xmlrpc.NewFault(FaultStillRunning, name)
	case errors.Is(err, supervise.ErrFailed):
		return xmlrpc.NewFault(FaultFailed, detail)
	case errors.Is(err, logrotate.ErrNoFile):
		return xmlrpc.NewFault(FaultNoFile, name)
	case errors.Is(err, logrotate.ErrBadArguments):
		return xmlrpc.NewFault(FaultBadArguments, "")
	case errors.Is(err, logrotate.ErrFailed):
		return xmlrpc.NewFault(FaultFailed, "")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return xmlrpc.NewFault(FaultFailed, "interrupted: "+err.Error())
	}
	return xmlrpc.NewFault(FaultFailed, err.Error())
}

// statusStruct is one entry of a group operation's result array.
func statusStruct(r Result) xmlrpc.Struct {
	code, desc := FaultSuccess, "OK"
	if r.Err != nil {
		f := faultOf(r.Err, Namespec(r.Group, r.Name))
		code, desc = f.Code, f.String
	}
	return xmlrpc.Struct{{Name: "name", Value: r.Name}, {Name: "group", Value: r.Group},
		{Name: "status", Value: code}, {Name: "description", Value: desc}}
}

// parseSignal is supervisord's signal_number: an int, a decimal string, or a name. Valid
// numbers are those with a name, plus 0 (supervisord accepts it: it checks existence).
func parseSignal(v any) (syscall.Signal, bool) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case bool:
		if x {
			n = 1
		}
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			n = i
			break
		}
		name := strings.ToUpper(strings.TrimSpace(x))
		return supervise.SignalNumber("SIG" + strings.TrimPrefix(name, "SIG")) // SIGSIGTERM is no name
	default:
		return 0, false
	}
	if n == 0 {
		return 0, true
	}
	if n > 0 && n <= 64 && supervise.IsNamedSignal(syscall.Signal(n)) {
		return syscall.Signal(n), true
	}
	return 0, false
}
