"""WSGI entry point, as gunicorn is told to load it: `gunicorn --chdir <this folder> wsgi:app`.

`application` is the name most WSGI servers look for by default; `app` is what the
supervisord-lite config (app = wsgi:app) and the original start script name.
"""

from server import app

application = app

__all__ = ["app", "application"]
