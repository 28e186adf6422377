package xmlrpc_test

import (
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
)

func Example() {
	doc, _ := xmlrpc.AppendCall(nil, "supervisor.getProcessInfo", "web")
	call, _ := xmlrpc.DecodeCall(doc)
	fmt.Println(call.Method, call.Params)

	resp := xmlrpc.AppendFault(nil, xmlrpc.NewFault(xmlrpc.BadName, "web"))
	_, err := xmlrpc.DecodeResponse(resp)
	fmt.Println(err)
	// Output:
	// supervisor.getProcessInfo [web]
	// fault 10: BAD_NAME: web
}
