"""The resident's pages without log-in (door-plate report, tracking) and the door-plate QR sheet."""
from flask import Flask

from app.public.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
