// Package conf reads supervisord.conf (and the files its [include] names) exactly as
// supervisord 4.2.5 does, and turns it into typed values: the [supervisord] settings, process
// groups with their supervise.Program specs, the HTTP servers, [supervisorctl], event
// listener pools and FastCGI programs with their sockets, and every section as read, for callers
// with sections of their own.
//
// What is reproduced (supervisord's options.py and datatypes.py are the authority): the INI
// dialect (package internal/ini), `%(name)s` expansions with exactly the names supervisord
// offers at each place (here, ENV_*, program_name, group_name, host_node_name, process_num,
// numprocs), the value types with their accepted forms and error texts, numprocs and
// process_name, [group:x] membership and order, the order of groups (priority, then name),
// the environment= tokenizer with its surprises, log directories checked at parse time, and
// supervisord's getAllConfigInfo and reread/update comparison (ConfigInfo, Diff).
//
// Deliberate differences:
//   - supervisord stops at the first error; Load reports every error at once (a
//     *multierror.Error of *Error, the first being the one supervisord reports), each also
//     naming its section, file and line. A config with any error gives no Config.
//   - Surprising environment= values (a `#` comment, a separator that is not a comma) are
//     parsed as supervisord parses them and also reported in Config.Warnings.
//   - result_handler and rpcinterface factories other than supervisord's own cannot be
//     imported and are kept as written, with a warning (the daemon uses the default
//     handler for such a pool).
//   - [supervisorctl] problems are warnings: supervisord itself does not read that section.
package conf
