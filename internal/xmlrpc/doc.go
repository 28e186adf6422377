// Package xmlrpc is the XML-RPC value codec used by supervise/rpc: it writes method calls,
// responses and faults byte for byte as Python's xmlrpc.client.dumps does (the format
// supervisord 4.2.5 answers with), and reads them with the value types supervisord's own
// unmarshaller accepts: int, i4, boolean, string (also a bare <value>), double,
// dateTime.iso8601, base64, array and struct. There is no <nil/>, in either direction.
//
// Decoding is bounded: the caller limits the input size (supervise/rpc uses 1 MiB), nesting
// is limited to MaxDepth elements, and nothing is allocated beyond what the input holds.
// Malformed input gives a *SyntaxError naming the byte offset, never a panic.
//
// Go values map as follows. Encoding: int, int32, int64 (an *OverflowError outside the
// 32-bit range, as in Python), bool, string, float64, time.Time, []byte (base64), []any,
// []string, []int, Struct (members in order), map[string]any (members sorted by name) and
// Fault. Decoding gives int64, bool, string, float64, time.Time (UTC), []byte for base64,
// []any and Struct.
package xmlrpc
