"""Fixtures: one app per session on SQLite or PostgreSQL; each database test rolled back at its end,
from shared rows built once (tests/shared_rows.py), or, marked `commits`, on a clean database; a clock."""
import fcntl
import gc
import hashlib
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.extensions import db
from app.services import engine
from app.services.cases import documents
from app.services.design import processes
from forms.tasks import TASK_FORMS
from tests import factories
from tests.shared_rows import SHARED, SharedRows, shared

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
# Tables that migrations fill and tests keep: the seeded categories and Alembic's own.
KEPT_TABLES = {"alembic_version", "category"}
# 09:00 in Shanghai on a Tuesday.
START = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)


def pytest_configure(config):
    """The collector's youngest generation collected every 10,000 allocations instead of 700: a test worker holds
    ~400,000 objects, and at Python's pace its collections took ~9 % of the CPU of five modules' tests (3.8 s of
    40), 6 % at this one (2.3 s)."""
    gc.set_threshold(10_000, 10, 10)


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(item.fspath)
        # A test on the app's database: run again on PostgreSQL unless marked `sqlite` (README.md, "What runs
        # on PostgreSQL too"). One without the `app` fixture (a fresh interpreter, a script on a SQLite file of
        # its own, an app made on sqlite://) runs once.
        if ("/integration/" in path or "/browser/" in path) and "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)
        if "/browser/" in path:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.commits)  # the live server answers from its own threads
    items.sort(key=_order)


def _order(item) -> tuple:
    """The `commits` tests first, then the tests that start from the same shared rows one after another: a
    `commits` test gives the shared rows back, and a test asking for other rows rolls back those it does not
    ask for, so each build of them lasts as many tests as possible (run in collection order, the deployed
    processes and the world were built ~56 times a SQLite run). Stable: a module's tests keep their order."""
    if "app" not in getattr(item, "fixturenames", ()):
        return (2, ())
    if item.get_closest_marker("commits") is not None:
        return (0, ())
    return (1, tuple(name for name in SHARED if name in item.fixturenames))


def pytest_sessionfinish(session):
    """Collect the garbage once, then freeze what is left for the exit: pytest collects it five times over
    at its end, for exceptions raised by finalizers, each pass walking a worker's whole heap (~0.2 s of CPU)."""
    gc.collect()
    gc.freeze()


def _database_url(tmp_path_factory) -> str:
    """A SQLite file in this process's temporary directory (each xdist worker has its own), or the
    database named by JIEFEN_TEST_DATABASE_URL — under xdist, one of each worker's own beside it."""
    url = os.environ.get("JIEFEN_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'jiefen-test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
    if worker is None:
        return url
    return _create_database(url, f"{make_url(url).database}_{worker}")


def _create_database(url: str, name: str) -> str:
    """Make database `name` afresh on the server of `url`, with the encoding and locale of url's own."""
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        encoding, collate, ctype = connection.execute(text(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database"
            " WHERE datname = current_database()")).one()
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING '{encoding}'"
                                f" LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"))
    server.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    name = make_url(url).database
    server = create_engine(os.environ["JIEFEN_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast log-ins; production keeps scrypt
        "DAY_COUNTING": "calendar",  # tests of working days switch with the `day_counting` fixture
        # A sweep's processes open connections of their own, which do not see a test's rolled-back rows;
        # test_sweep_processes.py sweeps on two.
        "SWEEP_PROCESSES": 1,
        "PUBLIC_BASE_URL": "https://jiefen.example.gov.cn",  # door plates and API links are built on it
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
    yield app
    if url != os.environ.get("JIEFEN_TEST_DATABASE_URL", url):  # a worker's own database
        with app.app_context():
            db.engine.dispose()
        _drop_database(url)


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
def _documents_rendered_once(tmp_path_factory):
    """WeasyPrint makes the same bytes of the same HTML, at ~0.4 s of CPU a page: a document whose HTML the
    test run rendered before (the same step of the same case at the same frozen time) is not laid out again.
    The render job still renders every document's HTML and stores the PDF made of it.

    The PDFs are kept for the processes of one run: in JIEFEN_TEST_RENDERS (a directory `make test` makes
    for its SQLite and PostgreSQL runs, whose documents are the same), else, under pytest-xdist, beside
    the workers' temporary directories; one process lays out an HTML while the others wanting it wait."""
    original = documents.render_pdf
    directory = _renders_directory(tmp_path_factory)
    rendered: dict[str, bytes] = {}

    def render(html: str) -> bytes:
        key = hashlib.sha256(f"{current_app.root_path}\0{html}".encode()).hexdigest()
        if key not in rendered:
            rendered[key] = _render_once(directory, key, lambda: original(html)) if directory else original(html)
        return rendered[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "render_pdf", render)
        yield


def _renders_directory(tmp_path_factory) -> Path | None:
    if os.environ.get("JIEFEN_TEST_RENDERS"):
        return Path(os.environ["JIEFEN_TEST_RENDERS"])
    if os.environ.get("PYTEST_XDIST_WORKER"):
        directory = tmp_path_factory.getbasetemp().parent / "renders"  # the workers' basetemps share a parent
        directory.mkdir(exist_ok=True)
        return directory
    return None


def _render_once(directory: Path, key: str, render) -> bytes:
    pdf = directory / f"{key}.pdf"
    with open(directory / f"{key}.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when this process ends, however it ends
        if pdf.exists():
            return pdf.read_bytes()
        data = render()
        partial = directory / f"{key}.{os.getpid()}.partial"
        partial.write_bytes(data)
        partial.replace(pdf)
        return data


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
    """Through the deploying service, whose checks of a diagram (the static rules, then the dry run along
    every path: ~0.08 s of CPU) are made once a process: later builds deploy the same files, checked then.
    The tests of deploys call the service themselves (test_versions_and_timers.py, test_cli.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(processes, "check_definition", _check_once)
        return processes.deploy_processes(PROCESSES_DIR, TASK_FORMS)


_checked: set[tuple[str, str, str]] = set()  # (process key, diagram, day counting) that passed the checks
_check_definition = processes.check_definition


def _check_once(key: str, bpmn_xml: str, forms) -> None:
    checked = (key, bpmn_xml, current_app.config["DAY_COUNTING"])
    if checked not in _checked:
        _check_definition(key, bpmn_xml, forms)
        _checked.add(checked)


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
