"""Log-in and log-out; every other page requires a logged-in user with a live server-side session."""
from flask import Flask, session
from flask_babel import lazy_gettext as _l

from app.auth.routes import SESSION_TOKEN, bp
from app.extensions import login_manager
from app.services.people.sessions import resume_session


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.localize_callback = str  # translated in the request that flashes it
    login_manager.user_loader(lambda user_id: resume_session(session.get(SESSION_TOKEN), int(user_id)))
    app.register_blueprint(bp)
