"""create_app with each kind of configuration: production refuses to start without real secrets; the
environment's settings, their defaults, and a clear refusal of a value that is not one."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app import ConfigurationError, create_app
from app.extensions import db

LONG_KEY = "k" * 32
ROOT = Path(__file__).resolve().parents[2]


def _config(**overrides) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": False, "DEBUG": False, "TRAIL_KEY": "t" * 32,
            # memory://: Flask-Limiter keeps one storage for every app of the process, the tests' own included
            "RATELIMIT_STORAGE_URI": "memory://", **overrides}


@pytest.mark.parametrize("key", ["", "dev-only-change-me", "k" * 31])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    with pytest.raises(ConfigurationError) as raised:
        create_app(_config(SECRET_KEY=key))
    message = str(raised.value)
    assert "\n" not in message
    assert "SECRET_KEY" in message and "export SECRET_KEY=" in message and "32" in message


def test_production_starts_with_a_long_secret_key():
    app = create_app(_config(SECRET_KEY=LONG_KEY))
    assert app.config["SECRET_KEY"] == LONG_KEY


@pytest.mark.parametrize("mode", ["TESTING", "DEBUG"])
def test_debug_and_testing_start_without_a_key_on_a_random_one(mode):
    first = create_app(_config(SECRET_KEY="", **{mode: True}))
    second = create_app(_config(SECRET_KEY="", **{mode: True}))
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_production_without_a_shared_rate_limit_store_counts_per_process_and_says_so(caplog, monkeypatch):
    # Alembic's fileConfig (a migration run earlier in this process) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("app"), "disabled", False)
    app = create_app(_config(SECRET_KEY=LONG_KEY, RATELIMIT_STORAGE_URI=""))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert "export JIEFEN_RATELIMIT_STORAGE_URI=redis://" in caplog.text


def test_one_process_may_choose_memory_explicitly_and_debug_gets_it_by_default():
    assert create_app(_config(SECRET_KEY=LONG_KEY, RATELIMIT_STORAGE_URI="memory://"))
    debug = create_app(_config(SECRET_KEY="", RATELIMIT_STORAGE_URI="", DEBUG=True))
    assert debug.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_testing_keeps_a_short_key_it_was_given():
    assert create_app(_config(SECRET_KEY="test", TESTING=True)).config["SECRET_KEY"] == "test"


@pytest.mark.parametrize("megabytes", [0, 64])
def test_sqlite_reads_through_a_memory_map_of_the_size_configured(tmp_path, megabytes):
    app = create_app(_config(SECRET_KEY=LONG_KEY, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite'}",
                             SQLITE_MMAP_MB=megabytes))
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA mmap_size")).scalar() == megabytes * 1024 * 1024
        db.engine.dispose()


def test_production_refuses_to_start_without_a_real_trail_key():
    with pytest.raises(ConfigurationError) as raised:
        create_app(_config(SECRET_KEY=LONG_KEY, TRAIL_KEY=""))
    assert "JIEFEN_TRAIL_KEY" in str(raised.value) and "export JIEFEN_TRAIL_KEY=" in str(raised.value)
    with pytest.raises(ConfigurationError, match="JIEFEN_TRAIL_KEY"):
        create_app(_config(SECRET_KEY=LONG_KEY, TRAIL_KEY="t" * 31))


# --- the environment, read by app/config.py when it is first imported: in a fresh interpreter ------------

CONFIG_KEYS = ["SECRET_KEY", "TRAIL_KEY", "SQLALCHEMY_DATABASE_URI", "DAY_COUNTING", "DISPLAY_TIMEZONE",
               "JURISDICTION_TIMEZONE", "CASE_NUMBER_PREFIX", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW",
               "SWEEP_INTERVAL_SECONDS", "SWEEP_PROCESSES", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "API_MAX_BODY_BYTES",
               "MAX_UPLOAD_BYTES", "SESSION_COOKIE_SECURE", "SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS",
               "LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_LOCK_MINUTES", "RATELIMIT_STORAGE_URI", "PUBLIC_BASE_URL",
               "SQLITE_MMAP_MB"]


# app/config.py is loaded as app.config on its own (it imports os and pathlib only): the same module under the
# same environment, without the ~1 s of CPU of the package's Flask, SQLAlchemy and SpiffWorkflow imports.
LOAD_CONFIG = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('app.config', 'app/config.py');"
               " config = sys.modules['app.config'] = importlib.util.module_from_spec(spec); spec.loader.exec_module(config)")


def config_under(environment: dict) -> subprocess.CompletedProcess:
    """Import app.config in a new interpreter with only `environment` (and PATH) set; print CONFIG_KEYS."""
    script = (f"{LOAD_CONFIG}; import json; Config = config.Config; "
              f"print(json.dumps({{key: getattr(Config, key) for key in {CONFIG_KEYS!r}}}))")
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), **environment})


def test_the_defaults_without_any_environment():
    done = config_under({})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "SECRET_KEY": "", "TRAIL_KEY": "", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{ROOT / 'instance' / 'jiefen.sqlite'}",
        "DAY_COUNTING": "working", "DISPLAY_TIMEZONE": "Asia/Shanghai", "JURISDICTION_TIMEZONE": "Asia/Shanghai",
        "CASE_NUMBER_PREFIX": "JF", "DATABASE_POOL_SIZE": 5, "DATABASE_MAX_OVERFLOW": 5, "SWEEP_INTERVAL_SECONDS": 60,
        "SWEEP_PROCESSES": 2, "SMTP_HOST": "", "SMTP_PORT": 25, "SMTP_STARTTLS": False, "API_MAX_BODY_BYTES": 64 * 1024,
        "MAX_UPLOAD_BYTES": 10 * 1024 * 1024, "SESSION_COOKIE_SECURE": False, "SESSION_IDLE_MINUTES": 480,
        "SESSION_ABSOLUTE_HOURS": 14, "LOGIN_MAX_FAILURES_PER_ACCOUNT": 10, "LOGIN_LOCK_MINUTES": 15,
        "RATELIMIT_STORAGE_URI": "", "PUBLIC_BASE_URL": "", "SQLITE_MMAP_MB": 1024,
    }


def test_the_environment_sets_numbers_switches_and_texts():
    done = config_under({"SECRET_KEY": LONG_KEY, "JIEFEN_TRAIL_KEY": "t" * 32, "DATABASE_URL": "sqlite://",
                         "JIEFEN_DAY_COUNTING": "calendar", "JIEFEN_SMTP_PORT": " 587 ", "JIEFEN_SMTP_STARTTLS": "true",
                         "JIEFEN_SECURE_COOKIES": "1", "JIEFEN_MAX_UPLOAD_MB": "3", "JIEFEN_DATABASE_MAX_OVERFLOW": "0",
                         "JIEFEN_SESSION_IDLE_MINUTES": "", "JIEFEN_SWEEP_PROCESSES": "4", "JIEFEN_SQLITE_MMAP_MB": "0"})
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert (config["SECRET_KEY"], config["TRAIL_KEY"], config["SQLALCHEMY_DATABASE_URI"]) == (LONG_KEY, "t" * 32, "sqlite://")
    assert (config["DAY_COUNTING"], config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SESSION_COOKIE_SECURE"]) == (
        "calendar", 587, True, True)
    assert (config["MAX_UPLOAD_BYTES"], config["DATABASE_MAX_OVERFLOW"], config["SESSION_IDLE_MINUTES"]) == (
        3 * 1024 * 1024, 0, 480)  # empty: the default
    assert (config["SWEEP_PROCESSES"], config["SQLITE_MMAP_MB"]) == (4, 0)


@pytest.mark.parametrize("variable, value, says", [
    ("JIEFEN_SMTP_PORT", "abc", "JIEFEN_SMTP_PORT='abc' is not a whole number of at least 1"),
    ("JIEFEN_MAX_UPLOAD_MB", "2.5", "JIEFEN_MAX_UPLOAD_MB='2.5' is not a whole number"),
    ("JIEFEN_SWEEP_INTERVAL_SECONDS", "0", "JIEFEN_SWEEP_INTERVAL_SECONDS='0' is not a whole number of at least 1"),
    ("JIEFEN_SWEEP_PROCESSES", "0", "JIEFEN_SWEEP_PROCESSES='0' is not a whole number of at least 1"),
    ("JIEFEN_DATABASE_MAX_OVERFLOW", "-1", "JIEFEN_DATABASE_MAX_OVERFLOW='-1' is not a whole number of at least 0"),
    ("JIEFEN_SQLITE_MMAP_MB", "1G", "JIEFEN_SQLITE_MMAP_MB='1G' is not a whole number of at least 0"),
    ("JIEFEN_SMTP_STARTTLS", "maybe", "JIEFEN_SMTP_STARTTLS='maybe' is not a switch"),
    ("JIEFEN_SECURE_COOKIES", "2", "JIEFEN_SECURE_COOKIES='2' is not a switch"),
])
def test_a_bad_value_stops_the_start_with_a_message_naming_the_variable(variable, value, says):
    done = config_under({variable: value})
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("app.config.ConfigurationError: ") and says in last_line, done.stderr


def test_the_server_keeps_what_its_start_made_out_of_the_collectors_full_passes():
    """wsgi.py freezes the objects of the start (gc.freeze): a full pass of the collector walked them all again."""
    done = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ.get("PATH", ""), "SECRET_KEY": LONG_KEY, "JIEFEN_TRAIL_KEY": "t" * 32,
                               "DATABASE_URL": "sqlite://", "JIEFEN_RATELIMIT_STORAGE_URI": "memory://"})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 50_000  # the app, its libraries and their tables
