"""Settings, read from the environment in one place."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Defaults suit `make run`: an SQLite file under instance/ and the demo secret."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'jiefen.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
    PROCESSES_DIR = os.environ.get("JIEFEN_PROCESSES_DIR", str(PROJECT_ROOT / "processes"))
    CASE_NUMBER_PREFIX = os.environ.get("JIEFEN_CASE_NUMBER_PREFIX", "JF")
    DISPLAY_TIMEZONE = os.environ.get("JIEFEN_DISPLAY_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    PASSWORD_HASH_METHOD = "scrypt"
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("JIEFEN_SECURE_COOKIES", "0") == "1"
