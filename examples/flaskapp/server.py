"""The reference app of supervisord-lite: a small Flask service to supervise.

Routes:
  /        a line of text naming the worker that answered
  /health  JSON: {"status": "ok", "pid": worker pid, "ppid": its parent (the gunicorn
           master), "uptime": seconds since this worker process started serving}
  /pid     the worker's pid as plain text
  /crash   ends the worker that answers, without a response: SIGKILL to itself by default;
           ?mode=exit&code=N calls os._exit(N) instead (beware: gunicorn 20.1 halts the
           whole master when a worker exits with 3 or 4); ?mode=signal&sig=TERM sends
           that signal to itself.

Run it through gunicorn (wsgi.py is the entry point), or directly for a quick look:
  python3 server.py [PORT]      (Flask's development server on 127.0.0.1, default 5000)
"""

import os
import signal
import sys
import time

from flask import Flask, Response, jsonify, request

app = Flask(__name__)

# Uptime is per process: gunicorn forks its workers from the master, and with --preload the
# module is imported once in the master, so the start time is reset in every forked child.
_started = time.monotonic()


def _reset_start():
    global _started
    _started = time.monotonic()


os.register_at_fork(after_in_child=_reset_start)


@app.route("/")
def index():
    return Response(
        "Hello from flaskapp, worker %d, supervised by supervisord-lite.\n" % os.getpid(),
        mimetype="text/plain",
    )


@app.route("/health")
def health():
    return jsonify(
        status="ok",
        pid=os.getpid(),
        ppid=os.getppid(),
        uptime=round(time.monotonic() - _started, 3),
    )


@app.route("/pid")
def pid():
    return Response("%d\n" % os.getpid(), mimetype="text/plain")


@app.route("/crash")
def crash():
    mode = request.args.get("mode", "kill")
    if mode == "exit":
        try:
            code = int(request.args.get("code", "1"))
        except ValueError:
            return Response("code must be an integer\n", status=400, mimetype="text/plain")
        sys.stderr.write("flaskapp: worker %d exits with code %d on /crash\n" % (os.getpid(), code))
        sys.stderr.flush()
        os._exit(code)
    if mode == "signal":
        name = request.args.get("sig", "TERM").upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        sig = getattr(signal, name, None)
        if not isinstance(sig, signal.Signals):
            return Response("unknown signal %s\n" % name, status=400, mimetype="text/plain")
        os.kill(os.getpid(), sig)
        return Response("sent %s to %d\n" % (name, os.getpid()), mimetype="text/plain")
    if mode != "kill":
        return Response("mode must be kill, exit or signal\n", status=400, mimetype="text/plain")
    os.kill(os.getpid(), signal.SIGKILL)
    # Not reached: SIGKILL cannot be caught.
    return Response("still alive\n", status=500, mimetype="text/plain")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host="127.0.0.1", port=port)
