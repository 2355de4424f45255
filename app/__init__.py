"""The Flask application factory."""
import secrets
from functools import partial

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from app.config import MIN_SECRET_LENGTH, REQUIRED_SECRETS, Config, ConfigurationError, engine_options
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.services.errors import JiefenError


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    _require_settings(app)
    from app import input_guard, request_ids

    input_guard.init_app(app)  # before any route is added: the bounded `int` converter
    request_ids.init_app(app)

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", partial(_sqlite_pragmas, mmap_bytes=app.config["SQLITE_MMAP_MB"] << 20))
        else:
            # An INSERT of many rows (a step's trail entries, its notices) as one multi-row statement, as
            # SQLAlchemy does for psycopg2: psycopg 3's executemany sends a statement per row. Measured on
            # a notice's five rows: 1.2 -> 0.55 ms, a third less CPU.
            db.engine.dialect.use_insertmanyvalues_wo_returning = True
    migrate.init_app(app, db, directory=str(Config.MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    from app import i18n

    i18n.init_app(app)
    limiter.init_app(app)

    from app import auth, cases, cli, filters, tasks

    auth.init_app(app)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(cases.bp)
    from app import casefile

    app.register_blueprint(casefile.bp)
    from app import designer
    app.register_blueprint(designer.bp)
    from app import admin, notifications, supervision

    app.register_blueprint(notifications.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(admin.bp)
    from app import settings

    app.register_blueprint(settings.bp)
    from app import api, field, handoffs, public

    app.register_blueprint(field.bp)
    api.init_app(app)
    app.register_blueprint(handoffs.bp)
    public.init_app(app)
    cli.init_app(app)
    filters.init_app(app)
    from app import headers

    headers.init_app(app)
    _register_error_handlers(app)
    input_guard.guard_bodies(app)

    @app.get("/")
    def index():
        return redirect(url_for("tasks.mine"))

    return app


def _require_settings(app: Flask) -> None:
    """Production needs real keys (debug and testing get a random one per process). Rate limits are counted
    in the store the workers share; without one, per process, which production is warned of."""
    for key, variable in REQUIRED_SECRETS.items():
        value = app.config.get(key) or ""
        if app.debug or app.testing:
            app.config[key] = value or secrets.token_urlsafe(48)
        elif len(value) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"{variable} is unset or shorter than {MIN_SECRET_LENGTH} characters: set a random one, e.g. "
                f"export {variable}=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\" "
                "(`make run` writes development keys to instance/development.env)")
    if not app.config["RATELIMIT_STORAGE_URI"]:
        if not (app.debug or app.testing):
            app.logger.warning(
                "JIEFEN_RATELIMIT_STORAGE_URI is unset: rate limits are counted per process. With several workers "
                "or nodes, name the store they share, e.g. export JIEFEN_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0")
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"


def _sqlite_pragmas(connection, _record, mmap_bytes: int) -> None:
    """Foreign keys on; wait for a writer instead of failing at once; a write-ahead log (readers never
    wait for the writer) synced at checkpoints rather than at every commit; pages read through a memory
    map (README, "SQLite")."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
    cursor.close()


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(JiefenError)
    def domain_error(error: JiefenError):
        """Errors that reach here were not handled by a view: show them on a page with their status."""
        return render_template("error.html", message=error.message), error.status_code

    @app.errorhandler(404)
    def not_found(error):
        if request.path.startswith("/api/"):  # unknown API routes answer JSON too
            from app.api.routes import error_response
            return error_response(404, _("没有该接口。"))
        return render_template("error.html", message=_("页面不存在。")), 404

    @app.errorhandler(413)
    def too_large(error):
        limit = app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
        return render_template("error.html", message=_("上传内容过大：单个文件不能超过 %(limit)s MB。", limit=limit)), 413

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("error.html", message=_("您没有权限执行此操作。")), 403

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        """Every other refusal (400 bad input, 405…) on our own page, in the user's language."""
        from app.input_guard import RefusedInputError
        if request.path.startswith("/api/"):  # outside the API's routes (no blueprint): the API's answer
            from app.api.routes import http_error
            return http_error(error)
        message = error.description if isinstance(error, RefusedInputError) else _("请求有误，无法处理。")
        return render_template("error.html", message=message), error.code, dict(error.get_headers()) | {
            "Content-Type": "text/html; charset=utf-8"}

    @app.errorhandler(500)
    def server_error(error):
        """A defect: our own page with the request id (the traceback is logged with the same id)."""
        from app.extensions import db
        from app.request_ids import current_request_id
        db.session.rollback()
        message = _("服务器内部错误，请稍后再试；如仍出错，请把请求编号告诉系统管理员。")
        if request.path.startswith("/api/"):
            from app.api.routes import error_response
            return error_response(500, message, request_id=current_request_id())
        return render_template("error.html", message=message, request_id=current_request_id()), 500
