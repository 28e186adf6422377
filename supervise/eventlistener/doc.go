// Package eventlistener runs supervisord 4.2.5's event listener pools ([eventlistener:x]) over
// a supervise.Supervisor, with supervisord's protocol byte for byte.
//
// A listener is a supervised process whose stdout is a protocol channel
// (supervise.Program.StdoutProtocol): it writes "READY\n"; the Bus sends it one event as a
// header line
//
//	ver:3.0 server:<identifier> serial:N pool:<name> poolserial:N eventname:<E> len:<L>
//
// followed by L characters of payload; the listener answers "RESULT <n>\n" and n bytes, "OK"
// or "FAIL" with the default result handler, then READY again. Its stderr is an ordinary log.
//
// The Bus is the single consumer of the engine's event stream (Supervisor.Subscribe) for all
// pools: the events listeners get are the engine's own, converted to supervisord's types and
// payloads (FromEngine), plus TICK_5/TICK_60/TICK_3600 made by the Bus when some pool
// subscribes to them (no timer runs otherwise). Serials are counted as supervisord counts
// them: an event gets the next global serial when the first pool accepts it, and the next pool
// serial in each pool that accepts it. Each pool buffers up to BufferSize events (the oldest
// is dropped and logged), sends the oldest to the first running READY listener, puts a
// rejected event (FAIL, a bad RESULT line, a listener that exits while BUSY) back at the head,
// and logs supervisord's lines at supervisord's levels (DEBG "listener: ACKNOWLEDGED ->
// READY", WARN "listener: event was rejected", ERRO "pool x event buffer overflowed ...").
//
// A listener that writes garbage goes to UNKNOWN and gets no more events until it restarts;
// one that hangs holds only its own event; writes to a listener's stdin run in a goroutine of
// their own, so neither stalls the engine or another listener.
//
// Differences from supervisord: result_handler is a Go function (PoolConfig.ResultHandler),
// not a Python import path.
package eventlistener
