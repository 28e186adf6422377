package eventlistener_test

import (
	"context"
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/eventlistener"
)

// What a listener of the pool "memmon" reads when a program reaches RUNNING.
func ExampleEnvelope() {
	ev, _ := eventlistener.FromEngine(supervise.Event{Kind: supervise.EventState, Group: "web", Name: "web",
		From: supervise.Starting, To: supervise.Running, Pid: 4242})
	fmt.Printf("%s\n", eventlistener.Envelope("supervisor", "memmon", 7, 3, ev))
	// Output:
	// ver:3.0 server:supervisor serial:7 pool:memmon poolserial:3 eventname:PROCESS_STATE_RUNNING len:58
	// processname:web groupname:web from_state:STARTING pid:4242
}

// The wiring of a pool: the Supervisor hands listener output to the Bus, the Bus subscribes
// to the Supervisor before the pool's group is added.
func ExampleBus() {
	var bus *eventlistener.Bus
	sup := supervise.New(supervise.Options{
		ProtocolOutput: func(group, name string, pid int, p []byte) { bus.Output(group, name, pid, p) },
	})
	bus = eventlistener.New(eventlistener.Options{Engine: sup})
	if err := bus.AddPool(eventlistener.PoolConfig{Name: "crashmail", Events: []string{"PROCESS_STATE_EXITED"}}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	err := sup.Add(ctx, supervise.Group{Name: "crashmail", Priority: -1, Programs: []supervise.Program{{
		Name: "crashmail", CommandLine: "/usr/bin/crashmail -a -m root@localhost", StdoutProtocol: true,
	}}})
	fmt.Println(err)
	// Then run both: go sup.Serve(ctx); go bus.Serve(busCtx); stop the Bus after Serve returns.
	// Output:
	// <nil>
}
