#!/usr/bin/env bash
# demo-setup.sh: prepare everything the supervisord-lite demo needs, offline, on Debian.
#
# It builds, under $DEMO_DIR (default: .demo at the top of the repository):
#   pyenv/versions/<name>/   a private PYENV_ROOT whose only version, <name> (read from
#                            examples/flaskapp/.python-version), is a virtualenv made from
#                            Debian's /usr/bin/python3 with --system-site-packages, so that
#                            Debian's python3-flask and python3-gunicorn are importable; plus a
#                            bin/gunicorn console script, which such a venv lacks.
#   certs/cert.pem, key.pem  a self-signed certificate for localhost and 127.0.0.1 (90 days).
#   run/, log/               what the demo config's pidfile, socket and logs use.
#   env.sh                   the variables to use, KEY=VALUE lines (also printed at the end).
#   supervisord-lite.conf    only when DEMO_DIR is not the default: a copy of
#                            examples/flaskapp/supervisord-lite.conf with its paths pointed here.
#
# On a real VPS, `pipenv install` (or `pyenv virtualenv 3.11.x flaskapp` and pip) makes this
# environment; the demo needs no PyPI access.
#
# Usage: scripts/demo-setup.sh            set up (idempotent: a second run changes nothing)
#        scripts/demo-setup.sh --guide    print the demo guide with this setup's paths
# Variables: DEMO_DIR, PYTHON (default /usr/bin/python3), FORCE=1 (rebuild the venv and the
#            certificate), SUPERVISORD_LITE (the command the guide shows; default
#            supervisord-lite).
# Exit codes: 0 done, 2 a prerequisite is missing, 3 the result failed its checks.
set -eu

die() { code=$1; shift; printf 'demo-setup: %s\n' "$*" >&2; exit "$code"; }
say() { printf 'demo-setup: %s\n' "$*" >&2; }

script_dir=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$script_dir/.." && pwd -P)
app_dir=$repo/examples/flaskapp
default_demo_dir=$repo/.demo
DEMO_DIR=${DEMO_DIR:-$default_demo_dir}
PYTHON=${PYTHON:-/usr/bin/python3}
FORCE=${FORCE:-0}
SUPERVISORD_LITE=${SUPERVISORD_LITE:-supervisord-lite}

# A clean environment for every tool we run: the caller's PIP_*, PYTHON*, GUNICORN_CMD_ARGS or
# pyenv shims must not change the result.
clean_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
run_clean() { env -i HOME="${HOME:-/root}" LANG=C.UTF-8 PATH="$clean_path" "$@"; }

mkdir -p "$DEMO_DIR" || die 2 "cannot create DEMO_DIR $DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd -P)

env_name=
if [ -r "$app_dir/.python-version" ]; then
	read -r env_name _ <"$app_dir/.python-version" || true
fi
[ -n "$env_name" ] || die 2 "$app_dir/.python-version is missing or empty"

pyenv_root=$DEMO_DIR/pyenv
venv=$pyenv_root/versions/$env_name
certs=$DEMO_DIR/certs
certfile=$certs/cert.pem
keyfile=$certs/key.pem
if [ "$DEMO_DIR" = "$default_demo_dir" ]; then
	config=$app_dir/supervisord-lite.conf
else
	config=$DEMO_DIR/supervisord-lite.conf
fi

print_guide() {
	guide=$script_dir/demo-guide.txt
	[ -r "$guide" ] || die 2 "$guide not found"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//"@SUPERVISORD_LITE@"/"$SUPERVISORD_LITE"}
		line=${line//"@CONFIG@"/"$config"}
		line=${line//"@DEMO_DIR@"/"$DEMO_DIR"}
		line=${line//"@PYENV_ROOT@"/"$pyenv_root"}
		line=${line//"@CERTFILE@"/"$certfile"}
		printf '%s\n' "$line"
	done <"$guide"
}

case "${1:-}" in
--guide) print_guide; exit 0 ;;
'') ;;
*) die 2 "unknown argument: $1 (usage: $0 [--guide])" ;;
esac

# 1. Prerequisites, from Debian (the Makefile's deps target installs them).
missing=
if command -v dpkg-query >/dev/null 2>&1; then
	for p in python3-venv python3-flask python3-gunicorn openssl; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
fi
command -v openssl >/dev/null 2>&1 || case "$missing" in *openssl*) ;; *) missing="$missing openssl" ;; esac
[ -x "$PYTHON" ] || missing="$missing python3($PYTHON)"
if [ -n "$missing" ]; then
	die 2 "missing:$missing; install with: apt-get install --no-install-recommends python3-venv python3-flask python3-gunicorn openssl"
fi
# gunicorn 20.1 serves TLS with ssl.wrap_socket, which Python 3.12 removed.
if ! out=$(run_clean "$PYTHON" -c '
import ssl, sys, flask, gunicorn
if gunicorn.version_info < (21,) and not hasattr(ssl, "wrap_socket"):
    sys.exit("gunicorn %s needs Python <= 3.11 for HTTPS, this is %s" % (gunicorn.__version__, sys.version.split()[0]))
' 2>&1); then
	die 2 "$PYTHON cannot run the app: $(printf '%s\n' "$out" | tail -n 1)"
fi

mkdir -p "$pyenv_root/versions" "$certs" "$DEMO_DIR/run" "$DEMO_DIR/log"

# 2. The virtualenv, registered as a pyenv version.
venv_ok() {
	[ -f "$venv/pyvenv.cfg" ] && grep -q '^include-system-site-packages *= *true' "$venv/pyvenv.cfg" &&
		run_clean "$venv/bin/python" -c 'import flask, gunicorn' >/dev/null 2>&1
}
if [ "$FORCE" = 1 ] || ! venv_ok; then
	say "creating virtualenv $venv from $PYTHON"
	rm -rf "$venv"
	if ! run_clean "$PYTHON" -m venv --system-site-packages --without-pip "$venv"; then
		rm -rf "$venv"
		die 2 "'$PYTHON -m venv' failed (is python3-venv installed?)"
	fi
else
	say "virtualenv $venv already complete"
fi

# The console script pip would have generated for gunicorn.
tmp=$venv/bin/.gunicorn.$$
cat >"$tmp" <<EOF
#!$venv/bin/python
# -*- coding: utf-8 -*-
# gunicorn's console script (entry point gunicorn.app.wsgiapp:run), written by demo-setup.sh.
import re
import sys
from gunicorn.app.wsgiapp import run
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?\$', '', sys.argv[0])
    sys.exit(run())
EOF
chmod 755 "$tmp"
mv -f "$tmp" "$venv/bin/gunicorn"

# 3. The certificate: kept while it is valid for another day and matches its key.
cert_ok() {
	[ -s "$certfile" ] && [ -s "$keyfile" ] &&
		openssl x509 -noout -checkend 86400 -in "$certfile" >/dev/null 2>&1 &&
		[ "$(openssl x509 -noout -pubkey -in "$certfile" 2>/dev/null)" = \
			"$(openssl pkey -pubout -in "$keyfile" 2>/dev/null)" ]
}
if [ "$FORCE" = 1 ] || ! cert_ok; then
	say "creating a self-signed certificate for localhost and 127.0.0.1 in $certs"
	(
		umask 077
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 90 \
			-subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
			-keyout "$keyfile.tmp" -out "$certfile.tmp" >/dev/null 2>&1
	) || { rm -f "$keyfile.tmp" "$certfile.tmp"; die 3 "openssl could not create the certificate"; }
	chmod 600 "$keyfile.tmp"
	chmod 644 "$certfile.tmp"
	mv -f "$keyfile.tmp" "$keyfile"
	mv -f "$certfile.tmp" "$certfile"
else
	say "certificate $certfile still valid"
fi

# 4. A config for a DEMO_DIR other than the default (the committed one points at .demo).
if [ "$config" != "$app_dir/supervisord-lite.conf" ]; then
	tmp=$config.$$
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//"%(here)s/../../.demo"/"$DEMO_DIR"}
		line=${line//"%(here)s"/"$app_dir"}
		printf '%s\n' "$line"
	done <"$app_dir/supervisord-lite.conf" >"$tmp"
	mv -f "$tmp" "$config"
fi

# 5. Checks.
version=$(run_clean "$venv/bin/gunicorn" --version 2>&1) ||
	die 3 "$venv/bin/gunicorn --version failed: $version"
case "$version" in
"gunicorn (version "*) ;;
*) die 3 "unexpected answer from $venv/bin/gunicorn --version: $version" ;;
esac
out=$(cd "$app_dir" && run_clean "$venv/bin/python" -B -c 'import wsgi' 2>&1) ||
	die 3 "the app does not import with $venv/bin/python: $(printf '%s\n' "$out" | tail -n 1)"
# When a real pyenv is installed, ask it which gunicorn the app folder gets.
pyenv_bin=${PYENV_BIN:-}
if [ -z "$pyenv_bin" ]; then
	for c in "${HOME:-/root}/.pyenv/bin/pyenv" /usr/local/bin/pyenv /usr/bin/pyenv; do
		if [ -x "$c" ]; then pyenv_bin=$c; break; fi
	done
fi
if [ -n "$pyenv_bin" ]; then
	got=$(cd "$app_dir" && run_clean PYENV_ROOT="$pyenv_root" "$pyenv_bin" which gunicorn --nosystem 2>&1) ||
		die 3 "pyenv ($pyenv_bin) does not find gunicorn for $app_dir: $got"
	[ "$got" = "$venv/bin/gunicorn" ] || die 3 "pyenv which gunicorn gave $got, expected $venv/bin/gunicorn"
	say "pyenv ($pyenv_bin) resolves $app_dir to $got"
fi

# 6. The variables to use.
{
	printf '%s=%q\n' DEMO_DIR "$DEMO_DIR"
	printf '%s=%q\n' PYENV_ROOT "$pyenv_root"
	printf '%s=%q\n' PYENV_VERSION_NAME "$env_name"
	printf '%s=%q\n' VENV "$venv"
	printf '%s=%q\n' GUNICORN "$venv/bin/gunicorn"
	gv=${version#gunicorn (version }
	printf '%s=%q\n' GUNICORN_VERSION "${gv%)}"
	printf '%s=%q\n' APP_DIR "$app_dir"
	printf '%s=%q\n' CERTFILE "$certfile"
	printf '%s=%q\n' KEYFILE "$keyfile"
	printf '%s=%q\n' CONFIG "$config"
} >"$DEMO_DIR/env.sh.$$"
mv -f "$DEMO_DIR/env.sh.$$" "$DEMO_DIR/env.sh"
say "ready; use these variables (also in $DEMO_DIR/env.sh):"
cat "$DEMO_DIR/env.sh"
