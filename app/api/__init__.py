"""The JSON API under /api/v1 for outside systems (police hand-offs): bearer tokens, no CSRF, JSON errors."""
from flask import Flask

from app.api.routes import bp
from app.extensions import csrf


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
