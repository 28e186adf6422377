// Package gunicorn turns gunicorn 20.1 settings into a checked command line.
//
// A Config is a plain struct: the settings people put in the ".sh that runs gunicorn" (the app,
// the bind addresses, the worker count, the TLS certificate and key, timeouts, logs). Its zero
// values mean gunicorn's own defaults, except that the bind address and the worker count are
// always written out (DefaultBind; DefaultWorkers is 2 × cores + 1), so that PORT or
// WEB_CONCURRENCY in the environment cannot change them.
//
//   - Config.Args gives the argv, deterministically, with gunicorn 20.1's flag spellings
//     (--pid, --limit-request-field_size, ...).
//   - Config.Validate (or Checker.Check, with an injected clock and environment) reports every
//     problem at once as a *multierror.Error of *FieldError values naming the field and the
//     file, plus warnings. It catches what gunicorn's own --check-config misses: a missing or
//     unreadable certificate, a key that does not match it, an expired certificate (a
//     certificate within 30 days of expiry is a warning), a bad port, an unknown worker class
//     or log level, "--workers 0". It refuses daemon mode and warns about what hurts under a
//     supervisor: a pid file, --preload, a gunicorn.conf.py that would be loaded silently, and
//     GUNICORN_CMD_ARGS, WEB_CONCURRENCY, PORT or FORWARDED_ALLOW_IPS in the inherited
//     environment. CleanEnv removes those.
//   - ReadCertInfo describes a certificate file (subject, SANs, validity, SHA-256 fingerprint,
//     serial) so that a supervisor can show its expiry; CertWatcher (Serve(ctx)) reads it at an
//     interval and reports a renewal, or a file that went missing or bad (gunicorn 20.1 reads
//     the certificate on every connection, so either takes effect at once, without a reload).
//   - The signals a gunicorn master understands are named values (GracefulStop, Reload,
//     ReopenLogs, ...) documented with their measured behaviour, and Config.StopWait is the
//     stop timeout a supervisor should allow.
//
// The package starts no processes and imports no other package of this module: it hands out an
// argv and an environment that anyone can put into a process spec.
package gunicorn
