package gunicorn

// flagKind says how gunicorn 20.1's argparse reads a flag.
type flagKind uint8

const (
	kindValue flagKind = iota // takes one value
	kindInt                   // takes one value, an int >= 0 (argparse type=int or auto_int, then validate_pos_int)
	kindBool                  // takes no value (store_true / store_const)
	kindExit                  // prints something and exits at once (--help, --version)
)

// flagSpec describes one gunicorn 20.1 command-line flag.
type flagSpec struct {
	setting string   // gunicorn's setting name, as --print-config shows it
	names   []string // every spelling argparse accepts (abbreviations aside)
	kind    flagKind
	field   string // the Config field that writes this flag, if any
}

// gunicornFlags is every flag of gunicorn 20.1.0 (Debian's 20.1.0-6+deb12u1, which adds
// --tolerate-dangerous-framing), from its config.py KNOWN_SETTINGS plus argparse's own.
var gunicornFlags = []flagSpec{
	{"config", []string{"-c", "--config"}, kindValue, "ConfigFile"},
	{"bind", []string{"-b", "--bind"}, kindValue, "Bind"},
	{"backlog", []string{"--backlog"}, kindInt, ""},
	{"workers", []string{"-w", "--workers"}, kindInt, "Workers"},
	{"worker_class", []string{"-k", "--worker-class"}, kindValue, "WorkerClass"},
	{"threads", []string{"--threads"}, kindInt, "Threads"},
	{"worker_connections", []string{"--worker-connections"}, kindInt, "WorkerConnections"},
	{"max_requests", []string{"--max-requests"}, kindInt, "MaxRequests"},
	{"max_requests_jitter", []string{"--max-requests-jitter"}, kindInt, "MaxRequestsJitter"},
	{"timeout", []string{"-t", "--timeout"}, kindInt, "Timeout"},
	{"graceful_timeout", []string{"--graceful-timeout"}, kindInt, "GracefulTimeout"},
	{"keepalive", []string{"--keep-alive"}, kindInt, "KeepAlive"},
	{"limit_request_line", []string{"--limit-request-line"}, kindInt, "LimitRequestLine"},
	{"limit_request_fields", []string{"--limit-request-fields"}, kindInt, "LimitRequestFields"},
	{"limit_request_field_size", []string{"--limit-request-field_size"}, kindInt, "LimitRequestFieldSize"},
	{"reload", []string{"--reload"}, kindBool, "Reload"},
	{"reload_engine", []string{"--reload-engine"}, kindValue, ""},
	{"reload_extra_files", []string{"--reload-extra-file"}, kindValue, ""},
	{"spew", []string{"--spew"}, kindBool, ""},
	{"check_config", []string{"--check-config"}, kindBool, ""},
	{"print_config", []string{"--print-config"}, kindBool, ""},
	{"preload_app", []string{"--preload"}, kindBool, "PreloadApp"},
	{"sendfile", []string{"--no-sendfile"}, kindBool, ""},
	{"reuse_port", []string{"--reuse-port"}, kindBool, ""},
	{"chdir", []string{"--chdir"}, kindValue, "Chdir"},
	{"daemon", []string{"-D", "--daemon"}, kindBool, "Daemon"},
	{"raw_env", []string{"-e", "--env"}, kindValue, "Env"},
	{"pidfile", []string{"-p", "--pid"}, kindValue, "PidFile"},
	{"worker_tmp_dir", []string{"--worker-tmp-dir"}, kindValue, ""},
	{"user", []string{"-u", "--user"}, kindValue, "User"},
	{"group", []string{"-g", "--group"}, kindValue, "Group"},
	{"umask", []string{"-m", "--umask"}, kindValue, "Umask"},
	{"initgroups", []string{"--initgroups"}, kindBool, ""},
	{"forwarded_allow_ips", []string{"--forwarded-allow-ips"}, kindValue, "ForwardedAllowIPs"},
	{"accesslog", []string{"--access-logfile"}, kindValue, "AccessLog"},
	{"disable_redirect_access_to_syslog", []string{"--disable-redirect-access-to-syslog"}, kindBool, ""},
	{"access_log_format", []string{"--access-logformat"}, kindValue, "AccessLogFormat"},
	{"errorlog", []string{"--error-logfile", "--log-file"}, kindValue, "ErrorLog"},
	{"loglevel", []string{"--log-level"}, kindValue, "LogLevel"},
	{"capture_output", []string{"--capture-output"}, kindBool, "CaptureOutput"},
	{"logger_class", []string{"--logger-class"}, kindValue, ""},
	{"logconfig", []string{"--log-config"}, kindValue, ""},
	{"syslog_addr", []string{"--log-syslog-to"}, kindValue, ""},
	{"syslog", []string{"--log-syslog"}, kindBool, ""},
	{"syslog_prefix", []string{"--log-syslog-prefix"}, kindValue, ""},
	{"syslog_facility", []string{"--log-syslog-facility"}, kindValue, ""},
	{"enable_stdio_inheritance", []string{"-R", "--enable-stdio-inheritance"}, kindBool, ""},
	{"statsd_host", []string{"--statsd-host"}, kindValue, ""},
	{"dogstatsd_tags", []string{"--dogstatsd-tags"}, kindValue, ""},
	{"statsd_prefix", []string{"--statsd-prefix"}, kindValue, ""},
	{"proc_name", []string{"-n", "--name"}, kindValue, "Name"},
	{"pythonpath", []string{"--pythonpath"}, kindValue, "PythonPath"},
	{"paste", []string{"--paste", "--paster"}, kindValue, ""},
	{"proxy_protocol", []string{"--proxy-protocol"}, kindBool, "ProxyProtocol"},
	{"proxy_allow_ips", []string{"--proxy-allow-from"}, kindValue, ""},
	{"keyfile", []string{"--keyfile"}, kindValue, "KeyFile"},
	{"certfile", []string{"--certfile"}, kindValue, "CertFile"},
	{"ssl_version", []string{"--ssl-version"}, kindValue, ""},
	{"cert_reqs", []string{"--cert-reqs"}, kindInt, "CertReqs"},
	{"ca_certs", []string{"--ca-certs"}, kindValue, "CACerts"},
	{"suppress_ragged_eofs", []string{"--suppress-ragged-eofs"}, kindBool, ""},
	{"do_handshake_on_connect", []string{"--do-handshake-on-connect"}, kindBool, ""},
	{"ciphers", []string{"--ciphers"}, kindValue, "Ciphers"},
	{"raw_paste_global_conf", []string{"--paste-global"}, kindValue, ""},
	{"strip_header_spaces", []string{"--strip-header-spaces"}, kindBool, ""},
	{"tolerate_dangerous_framing", []string{"--tolerate-dangerous-framing"}, kindBool, ""},
	{"help", []string{"-h", "--help"}, kindExit, ""},
	{"version", []string{"-v", "--version"}, kindExit, ""},
}

// flagIndex maps each spelling to its spec.
var flagIndex = func() map[string]*flagSpec {
	m := make(map[string]*flagSpec, 2*len(gunicornFlags))
	for i := range gunicornFlags {
		for _, n := range gunicornFlags[i].names {
			m[n] = &gunicornFlags[i]
		}
	}
	return m
}()

// sslVersions are the names gunicorn 20.1 accepts for --ssl-version on Python 3.11 (the
// ssl.PROTOCOL_* constants), with their numbers, which it also accepts.
var sslVersions = map[string]int{
	"SSLv23": 2, "TLS": 2, "TLS_CLIENT": 16, "TLS_SERVER": 17,
	"TLSv1": 3, "TLSv1_1": 4, "TLSv1_2": 5,
}
