"""Settings, read from the environment in one place."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The app cannot start as configured; the message says what to set."""


def env_int(name: str, default: int, minimum: int = 1) -> int:
    """A whole number from the environment (unset or empty: `default`); anything else stops the start
    with a message naming the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ConfigurationError(f"{name}={text!r} is not a whole number of at least {minimum}: "
                                 f"set one, e.g. export {name}={default}")
    return value


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def env_bool(name: str, default: bool = False) -> bool:
    """A switch from the environment: 1/true/yes/on or 0/false/no/off (unset or empty: `default`)."""
    text = os.environ.get(name, "").strip().lower()
    if not text:
        return default
    if text in TRUE + FALSE:
        return text in TRUE
    raise ConfigurationError(f"{name}={text!r} is not a switch: set it to 1 or 0 (or true/false, yes/no, on/off)")


class Config:
    """Defaults suit `make run`: an SQLite file under instance/; its keys come from instance/development.env."""

    # Signs session cookies and CSRF tokens. Outside debug and testing the app refuses to start without
    # one of at least MIN_SECRET_LENGTH characters (create_app); `make run` generates one into instance/.
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'jiefen.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL: connections each worker keeps open (pool) and may open beyond it at a peak (overflow);
    # workers × (pool + overflow) must stay under the server's max_connections. See engine_options().
    DATABASE_POOL_SIZE = env_int("JIEFEN_DATABASE_POOL_SIZE", 5)
    DATABASE_MAX_OVERFLOW = env_int("JIEFEN_DATABASE_MAX_OVERFLOW", 5, minimum=0)
    # SQLite: how much of the database file its connections read through a memory map (MiB; 0: none) instead
    # of a read call per page into a private cache of 2 MiB. Mapped pages are the OS's page cache, shared by
    # every worker (README, "SQLite").
    SQLITE_MMAP_MB = env_int("JIEFEN_SQLITE_MMAP_MB", 1024, minimum=0)
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
    SWEEP_INTERVAL_SECONDS = env_int("JIEFEN_SWEEP_INTERVAL_SECONDS", 60)
    # PostgreSQL: processes a sweep shares a backlog of due cases between (each with its own connection);
    # SQLite, with one writer, sweeps in one.
    SWEEP_PROCESSES = env_int("JIEFEN_SWEEP_PROCESSES", 2)
    # How often the scheduler renders the PDFs steps have asked for (a step only writes the document's row).
    DOCUMENT_RENDER_INTERVAL_SECONDS = env_int("JIEFEN_DOCUMENT_RENDER_INTERVAL_SECONDS", 5)
    SMTP_HOST = os.environ.get("JIEFEN_SMTP_HOST", "")
    SMTP_PORT = env_int("JIEFEN_SMTP_PORT", 25)
    SMTP_USERNAME = os.environ.get("JIEFEN_SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("JIEFEN_SMTP_PASSWORD", "")
    SMTP_STARTTLS = env_bool("JIEFEN_SMTP_STARTTLS")
    MAIL_FROM = os.environ.get("JIEFEN_MAIL_FROM", "jiefen@localhost")
    # Intake channels (API, door plates). Rate limits are counted in a store every worker and node shares,
    # e.g. redis://127.0.0.1:6379/0 (Debian's redis-server); memory:// counts per process, so it is only
    # right for one process, and outside debug/testing it must be chosen explicitly (create_app).
    RATELIMIT_STORAGE_URI = os.environ.get("JIEFEN_RATELIMIT_STORAGE_URI", "")
    # If the store cannot be reached, count per process meanwhile rather than fail the resident's page.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RESIDENT_REPORT_LIMIT_PER_IP = os.environ.get("JIEFEN_RESIDENT_REPORT_LIMIT_PER_IP", "5 per hour")
    RESIDENT_REPORT_LIMIT_PER_ADDRESS = os.environ.get("JIEFEN_RESIDENT_REPORT_LIMIT_PER_ADDRESS", "10 per day")
    TRACKING_LIMIT_PER_IP = os.environ.get("JIEFEN_TRACKING_LIMIT_PER_IP", "30 per hour")
    PUBLIC_MAX_BODY_BYTES = 32 * 1024  # a full report in Chinese, URL-encoded, is about 20 KB
    API_MAX_BODY_BYTES = env_int("JIEFEN_API_MAX_BODY_BYTES", 64 * 1024)
    # The base of the links printed in door-plate QR codes, e.g. https://jiefen.example.gov.cn;
    # empty: the address the sheet was opened at.
    PUBLIC_BASE_URL = os.environ.get("JIEFEN_PUBLIC_BASE_URL", "")
    # Attachments (pdf, jpg, png, doc, docx) are stored in the database, up to this size each; a request
    # body beyond it (plus room for the form) is refused with 413 before it is read.
    MAX_UPLOAD_BYTES = env_int("JIEFEN_MAX_UPLOAD_MB", 10) * 1024 * 1024
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 256 * 1024
    PASSWORD_HASH_METHOD = "scrypt"
    # Keys the trail's hash chain (HMAC-SHA256); kept outside the database, so whoever can write the database
    # cannot re-forge the chain. Outside debug and testing the app refuses to start without one (REQUIRED_SECRETS
    # below). Changing it makes every existing trail fail to verify.
    TRAIL_KEY = os.environ.get("JIEFEN_TRAIL_KEY", "")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("JIEFEN_SECURE_COOKIES")
    # Log-in sessions live on the server (user_session): a phone on patrol stays logged in through a
    # working day, but not past an idle spell or the end of the day's shift.
    SESSION_IDLE_MINUTES = env_int("JIEFEN_SESSION_IDLE_MINUTES", 8 * 60)
    SESSION_ABSOLUTE_HOURS = env_int("JIEFEN_SESSION_ABSOLUTE_HOURS", 14)
    # Failed log-ins: this many for one user name within the window lock it for LOGIN_LOCK_MINUTES; this
    # many from one IP address within the window refuse that address's log-ins until the window moves on.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("JIEFEN_LOGIN_MAX_FAILURES_PER_ACCOUNT", 10)
    LOGIN_MAX_FAILURES_PER_IP = env_int("JIEFEN_LOGIN_MAX_FAILURES_PER_IP", 50)
    LOGIN_FAILURE_WINDOW_MINUTES = env_int("JIEFEN_LOGIN_FAILURE_WINDOW_MINUTES", 15)
    LOGIN_LOCK_MINUTES = env_int("JIEFEN_LOGIN_LOCK_MINUTES", 15)


# Secrets the app refuses to start without (outside debug and testing): config key → environment variable.
REQUIRED_SECRETS = {"SECRET_KEY": "SECRET_KEY", "TRAIL_KEY": "JIEFEN_TRAIL_KEY"}
MIN_SECRET_LENGTH = 32


def engine_options(config) -> dict:
    """SQLAlchemy engine options for the configured database (create_app applies them).

    PostgreSQL: a sized pool whose connections are checked before use (a restarted server costs no
    failed request), and JIT compilation off — Jiefen's queries are short index lookups, for which
    PostgreSQL's JIT spent 176–482 ms compiling the heavier list plans and saves nothing. A local SQLite
    file cannot drop a connection, so nothing is pinged there.
    """
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_size", config["DATABASE_POOL_SIZE"])
        options.setdefault("max_overflow", config["DATABASE_MAX_OVERFLOW"])
        options.setdefault("pool_timeout", 10)
        options.setdefault("connect_args", {"options": "-c jit=off"})
    return options
