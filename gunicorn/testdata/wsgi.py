# A minimal WSGI app for the gunicorn package's end-to-end tests.
import os


def app(environ, start_response):
    body = ("ok %d %s\n" % (os.getpid(), environ.get("wsgi.url_scheme", "?"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def create_app():
    return app
