# A small Flask app for the gunicorn package's HTTPS end-to-end test.
import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/")
def index():
    return "flask ok %d %s\n" % (os.getpid(), request.scheme)
