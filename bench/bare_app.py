"""The yardstick: a bare Flask route returning a short string, served like the portal."""

from flask import Flask


def create_app() -> Flask:
    """A Flask app with one route and nothing else."""
    app = Flask(__name__)

    @app.get("/")
    def hello():
        return "Hello, candidate!"

    return app
