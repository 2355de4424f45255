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
    # The jurisdiction's zone: time limits, case-number years and "today" are counted in it.
    JURISDICTION_TIMEZONE = os.environ.get("JIEFEN_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    # "working": days in time limits are Chinese working days; "calendar": calendar days.
    DAY_COUNTING = os.environ.get("JIEFEN_DAY_COUNTING", "working")
    SWEEP_INTERVAL_SECONDS = int(os.environ.get("JIEFEN_SWEEP_INTERVAL_SECONDS", "60"))
    SMTP_HOST = os.environ.get("JIEFEN_SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("JIEFEN_SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("JIEFEN_SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("JIEFEN_SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("JIEFEN_SMTP_STARTTLS", "0") == "1"
    MAIL_FROM = os.environ.get("JIEFEN_MAIL_FROM", "jiefen@localhost")
    # Intake channels (API, door plates). Rate limits count in memory per worker unless a shared store
    # is named, e.g. redis://host:6379 or memcached://host:11211 (see the `limits` package).
    RATELIMIT_STORAGE_URI = os.environ.get("JIEFEN_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RESIDENT_REPORT_LIMIT_PER_IP = os.environ.get("JIEFEN_RESIDENT_REPORT_LIMIT_PER_IP", "5 per hour")
    RESIDENT_REPORT_LIMIT_PER_ADDRESS = os.environ.get("JIEFEN_RESIDENT_REPORT_LIMIT_PER_ADDRESS", "10 per day")
    TRACKING_LIMIT_PER_IP = os.environ.get("JIEFEN_TRACKING_LIMIT_PER_IP", "30 per hour")
    PUBLIC_MAX_BODY_BYTES = 32 * 1024  # a full report in Chinese, URL-encoded, is about 20 KB
    API_MAX_BODY_BYTES = int(os.environ.get("JIEFEN_API_MAX_BODY_BYTES", str(64 * 1024)))
    # The base of the links printed in door-plate QR codes, e.g. https://jiefen.example.gov.cn;
    # empty: the address the sheet was opened at.
    PUBLIC_BASE_URL = os.environ.get("JIEFEN_PUBLIC_BASE_URL", "")
    # Attachments (pdf, jpg, png, doc, docx) are stored in the database, up to this size each; a request
    # body beyond it (plus room for the form) is refused with 413 before it is read.
    MAX_UPLOAD_BYTES = int(os.environ.get("JIEFEN_MAX_UPLOAD_MB", "10")) * 1024 * 1024
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 256 * 1024
    PASSWORD_HASH_METHOD = "scrypt"
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("JIEFEN_SECURE_COOKIES", "0") == "1"
