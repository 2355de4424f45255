"""create_app with each kind of configuration: production refuses to start without real secrets."""
import pytest

from app import ConfigurationError, create_app

LONG_KEY = "k" * 32


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


def test_production_without_a_shared_rate_limit_store_counts_per_process_and_says_so(caplog):
    app = create_app(_config(SECRET_KEY=LONG_KEY, RATELIMIT_STORAGE_URI=""))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert "export JIEFEN_RATELIMIT_STORAGE_URI=redis://" in caplog.text


def test_one_process_may_choose_memory_explicitly_and_debug_gets_it_by_default():
    assert create_app(_config(SECRET_KEY=LONG_KEY, RATELIMIT_STORAGE_URI="memory://"))
    debug = create_app(_config(SECRET_KEY="", RATELIMIT_STORAGE_URI="", DEBUG=True))
    assert debug.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_testing_keeps_a_short_key_it_was_given():
    assert create_app(_config(SECRET_KEY="test", TESTING=True)).config["SECRET_KEY"] == "test"
