"""Fixtures: one app per session on SQLite or PostgreSQL; each database test rolled back at its end,
from shared rows built once (tests/shared_rows.py), or, marked `commits`, on a clean database; a clock."""
import functools
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.services import engine
from app.services.cases import documents
from app.services.design.processes import deploy_processes
from forms.tasks import TASK_FORMS
from tests import factories
from tests.shared_rows import SharedRows, shared

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
# Tables that migrations fill and tests keep: the seeded categories and Alembic's own.
KEPT_TABLES = {"alembic_version", "category"}
# 09:00 in Shanghai on a Tuesday.
START = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(item.fspath)
        # A test on the app's database: run again on PostgreSQL. One without the `app` fixture (a fresh
        # interpreter, a script on a SQLite file of its own, an app made on sqlite://) runs once.
        if ("/integration/" in path or "/browser/" in path) and "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)
        if "/browser/" in path:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.commits)  # the live server answers from its own threads


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("JIEFEN_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'jiefen-test.sqlite'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast log-ins; production keeps scrypt
        "DAY_COUNTING": "calendar",  # tests of working days switch with the `day_counting` fixture
        "PUBLIC_BASE_URL": "https://jiefen.example.gov.cn",  # door plates and API links are built on it
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
    return app


@pytest.fixture(scope="session")
def _shared_rows(app):
    rows = SharedRows(app)
    yield rows
    with app.app_context():
        rows.close()


@pytest.fixture(autouse=True)
def _database(request):
    """Each database test starts from the migrated schema with no rows but the seeded ones and the shared
    rows it asks for, and leaves nothing behind: rolled back, or, marked `commits`, deleted."""
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    rows = request.getfixturevalue("_shared_rows")
    with app.app_context():
        if request.node.get_closest_marker("commits") is None:
            rows.begin(request)
            try:
                yield rows
            finally:
                rows.end()
                engine.forget_specs()  # a version id rolled back is used again by the next test
            return
        rows.begin_committing(request)
        try:
            yield rows
        finally:
            rows.end_committing()
            _delete_rows()


def _delete_rows() -> None:
    db.session.remove()
    tables = [table for table in reversed(db.metadata.sorted_tables) if table.name not in KEPT_TABLES]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
            for search_table in ("case_search", "case_search_short"):  # the search index, not in the models
                connection.execute(text(f"DELETE FROM {search_table}"))
    engine.forget_specs()  # process version ids are used again by the next test


@pytest.fixture(scope="session", autouse=True)
def _documents_rendered_once():
    """WeasyPrint makes the same bytes of the same HTML, at ~0.3 s a page: a document whose HTML the suite
    rendered before (the same step of the same case at the same frozen time) is not laid out again. The
    render job still renders every document's HTML and stores the PDF made of it."""
    original = documents.render_pdf
    render = functools.lru_cache(maxsize=256)(lambda html, root_path: original(html))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "render_pdf", lambda html: render(html, current_app.root_path))
        yield


@pytest.fixture
def clock():
    """Time stands at START until a test moves it with `clock.shift(...)` or `clock.move_to(...)`."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def day_counting(app):
    """Set the day-counting setting for one test: `day_counting("working")`."""
    default = app.config["DAY_COUNTING"]
    yield lambda mode: app.config.update(DAY_COUNTING=mode)
    app.config["DAY_COUNTING"] = default


@shared("deployed")
def _deploy(rows, request):
    return deploy_processes(PROCESSES_DIR, TASK_FORMS)


@pytest.fixture
def deployed(app, _database):
    """The processes of processes/, deployed (shared: see tests/shared_rows.py)."""
    return _database.value("deployed")


@shared("world")
def _make_world(rows, request):
    return factories.world_ids(factories.make_world())


@pytest.fixture
def world(app, deployed, _database):
    """Places and one user per role, as factories.World (shared: see tests/shared_rows.py)."""
    return factories.world_of(_database.value("world"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = factories.PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def days(n: float) -> timedelta:
    return timedelta(days=n)
