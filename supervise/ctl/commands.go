package ctl

// builtinCommands are supervisorctl's actions with its help texts.
func builtinCommands() []Command {
	return []Command{
		{"add", []string{"add <name> [...]\tActivates any updates in config for process/group"}, (*Session).doAdd},
		{"avail", []string{"avail\t\t\tDisplay all configured processes"}, (*Session).doAvail},
		{"clear", []string{"clear <name>\t\tClear a process' log files.", "clear <name> <name>\tClear multiple process' log files", "clear all\t\tClear all process' log files"}, (*Session).doClear},
		{"exit", []string{"exit\tExit the supervisor shell."}, (*Session).doQuit},
		{"fg", []string{"fg <process>\tConnect to a process in foreground mode", "\t\tCtrl-C to exit"}, (*Session).doFg},
		{"maintail", []string{"maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\nmaintail -100\tlast 100 *bytes* of supervisord main log file\nmaintail\tlast 1600 *bytes* of supervisor main log file\n"}, (*Session).doMaintail},
		{"open", []string{"open <url>\tConnect to a remote supervisord process.", "\t\t(for UNIX domain socket, use unix:///socket/path)"}, (*Session).doOpen},
		{"pid", []string{"pid\t\t\tGet the PID of supervisord.", "pid <name>\t\tGet the PID of a single child process by name.", "pid all\t\t\tGet the PID of every child process, one per line."}, (*Session).doPid},
		{"quit", []string{"quit\tExit the supervisor shell."}, (*Session).doQuit},
		{"reload", []string{"reload \t\tRestart the remote supervisord."}, (*Session).doReload},
		{"remove", []string{"remove <name> [...]\tRemoves process/group from active config"}, (*Session).doRemove},
		{"reread", []string{"reread \t\t\tReload the daemon's configuration files without add/remove"}, (*Session).doReread},
		{"restart", []string{"restart <name>\t\tRestart a process", "restart <gname>:*\tRestart all processes in a group", "restart <name> <name>\tRestart multiple processes or groups", "restart all\t\tRestart all processes", "Note: restart does not reread config files. For that, see reread and update."}, (*Session).doRestart},
		{"shutdown", []string{"shutdown \tShut the remote supervisord down."}, (*Session).doShutdown},
		{"signal", []string{"signal <signal name> <name>\t\tSignal a process", "signal <signal name> <gname>:*\t\tSignal all processes in a group", "signal <signal name> <name> <name>\tSignal multiple processes or groups", "signal <signal name> all\t\tSignal all processes"}, (*Session).doSignal},
		{"start", []string{"start <name>\t\tStart a process", "start <gname>:*\t\tStart all processes in a group", "start <name> <name>\tStart multiple processes or groups", "start all\t\tStart all processes"}, (*Session).doStart},
		{"status", []string{"status <name>\t\tGet status for a single process", "status <gname>:*\tGet status for all processes in a group", "status <name> <name>\tGet status for multiple named processes", "status\t\t\tGet all process status info"}, (*Session).doStatus},
		{"stop", []string{"stop <name>\t\tStop a process", "stop <gname>:*\t\tStop all processes in a group", "stop <name> <name>\tStop multiple processes or groups", "stop all\t\tStop all processes"}, (*Session).doStop},
		{"tail", []string{"tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr"}, (*Session).doTail},
		{"update", []string{"update\t\t\tReload config and add/remove as necessary, and will restart affected programs", "update all\t\tReload config and add/remove as necessary, and will restart affected programs", "update <gname> [...]\tUpdate specific groups"}, (*Session).doUpdate},
		{"version", []string{"version\t\t\tShow the version of the remote supervisord process"}, (*Session).doVersion},
		{"help", []string{"help\t\tPrint a list of available actions", "help <action>\tPrint help for <action>"}, (*Session).doHelp},
		{"EOF", []string{"To quit, type ^D or use the quit command"}, (*Session).doQuit},
	}
}

// helpTopics is what `help` prints: Python cmd.Cmd's print_topics of supervisorctl's actions,
// 15 wide in 80 columns. Extra commands (Options.Commands) are not listed, so that the output
// stays supervisorctl's; `help <name>` shows theirs.
const helpTopics = `
default commands (type help <topic>):
=====================================
add    exit      open  reload  restart   start   tail   
avail  fg        pid   remove  shutdown  status  update 
clear  maintail  quit  reread  signal    stop    version
`
