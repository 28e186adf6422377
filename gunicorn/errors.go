package gunicorn

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors that Validate's FieldErrors wrap, for callers that branch on the kind of
// problem with errors.Is. Missing or unreadable files wrap the os error instead
// (errors.Is(err, fs.ErrNotExist), fs.ErrPermission).
var (
	// ErrRequired: a required setting (App) is empty.
	ErrRequired = errors.New("required")
	// ErrSyntax: a value is malformed (an App without ":", a bad bind address, a non-number).
	ErrSyntax = errors.New("invalid syntax")
	// ErrRange: a number is out of range (a port, a negative count, a fraction of a second).
	ErrRange = errors.New("out of range")
	// ErrUnknown: a name gunicorn 20.1 does not know (flag, worker class, log level, user).
	ErrUnknown = errors.New("unknown")
	// ErrConflict: two settings contradict each other, or Extra repeats a Config field.
	ErrConflict = errors.New("conflicting settings")
	// ErrUnsupervisable: a setting that breaks supervision (daemon mode, --help, --version).
	ErrUnsupervisable = errors.New("breaks supervision")
	// ErrNotPEM: a certificate or key file holds no usable PEM block.
	ErrNotPEM = errors.New("no PEM data")
	// ErrKeyMismatch: the private key does not belong to the certificate.
	ErrKeyMismatch = errors.New("private key does not match the certificate")
	// ErrExpired: a certificate's NotAfter has passed.
	ErrExpired = errors.New("certificate has expired")
	// ErrNotYetValid: a certificate's NotBefore is still in the future.
	ErrNotYetValid = errors.New("certificate is not valid yet")
)

// FieldError is one problem Validate found: which Config field, which file or value (when
// there is one), and why. Validate returns them inside a *multierror.Error.
type FieldError struct {
	Field string // the Config field, e.g. "CertFile", or "Extra[3]"
	Path  string // the file concerned, resolved against Chdir; empty if none
	Err   error  // what is wrong; often wraps one of the sentinel errors or an os error
}

// Error reads "gunicorn: CertFile /srv/app/cert.pem: certificate has expired ...".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("gunicorn: ")
	b.WriteString(e.Field)
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// Warning is something legal that tends to hurt under a supervisor (a pidfile, --preload, an
// inherited PORT, a certificate that expires soon). It names the field (or environment
// variable) and the file when there is one.
type Warning struct {
	Field   string // the Config field or environment variable, e.g. "PidFile", "env PORT"
	Path    string // the file concerned; empty if none
	Message string // what gunicorn would do and why it matters
}

// String reads like a FieldError: "gunicorn: PidFile /run/app.pid: ...".
func (w Warning) String() string {
	var b strings.Builder
	b.WriteString("gunicorn: ")
	b.WriteString(w.Field)
	if w.Path != "" {
		b.WriteString(" ")
		b.WriteString(w.Path)
	}
	b.WriteString(": ")
	b.WriteString(w.Message)
	return b.String()
}

var (
	_ error        = (*FieldError)(nil)
	_ fmt.Stringer = Warning{}
)
