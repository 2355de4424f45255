"""Rows several tests start from, built once and rolled back to, instead of built again for every test.

The tests' database work runs on one connection whose transaction is never committed (SQLAlchemy's
"joining a session into an external transaction"). On it, savepoints are stacked: the shared rows a
test asks for (the deployed processes, then the world, then rows of its module's own), each kept for
as long as the next tests ask for the same, and above them one savepoint for the test itself, rolled
back at its end. The services still commit: the session joins the connection with
join_transaction_mode="create_savepoint", so their commit releases a savepoint of their own, and a
rollback of theirs goes back to where their use case began, as on a database of its own.

Other connections see none of these rows: a test whose rows must be seen by another connection (a
thread, a process, a live server) or that changes the schema is marked `commits` and gets today's
clean database instead (conftest.py).
"""
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import current_app
from flask.globals import app_ctx
from flask_sqlalchemy.session import Session
from sqlalchemy.orm import scoped_session, sessionmaker

from app.extensions import db


@dataclass(frozen=True)
class Shared:
    """A fixture whose rows tests share: `build(rows, request)` makes them (through the services, which
    commit) and returns plain values such as ids; `key(request)` tells which rows a test needs (a
    parametrized test may need other rows per parameter)."""

    name: str
    build: Callable[["SharedRows", pytest.FixtureRequest], Any]
    key: Callable[[pytest.FixtureRequest], Hashable]


SHARED: dict[str, Shared] = {}  # by fixture name, in the order their rows stack


def shared(name: str, key: Callable[[pytest.FixtureRequest], Hashable] = lambda request: None):
    """Register a builder of shared rows under the name of the fixture that hands them to tests:
    the tests asking for that fixture (directly or not) start from the same rows."""
    def register(build):
        if name in SHARED:
            # A test module imported by another is imported twice (as pytest collects it, and by its package
            # name): the same builder again keeps its first place.
            if SHARED[name].build.__code__.co_filename == build.__code__.co_filename:
                return build
            raise ValueError(f"shared rows {name!r} are registered twice")
        SHARED[name] = Shared(name, build, key)
        return build
    return register


class _JoinedSession(Session):
    """Flask-SQLAlchemy's session on the tests' connection (its get_bind would pick the engine)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


class SharedRows:
    """The connection, its stack of shared rows, and the running test's savepoint."""

    def __init__(self, app):
        self.app = app
        self.connection = None
        self.transaction = None
        self.session = None
        self.layers: list[tuple[Hashable, Any, Any]] = []  # (key, savepoint, value)
        self.test = None
        self.original_session = db.session
        self.request = None
        self._values: dict[str, Any] = {}  # a `commits` test's rows, built for it alone

    # --- one test ----------------------------------------------------------------------------------

    def begin(self, request: pytest.FixtureRequest) -> None:
        """Roll back to the shared rows this test needs (built if missing) and open its savepoint."""
        self.request = request
        self._values = {}
        if self.connection is None:
            self._open()
        db.session = self.session
        wanted = [(shared_rows.name, shared_rows.key(request)) for shared_rows in SHARED.values()
                  if shared_rows.name in request.fixturenames]
        keep = 0
        while keep < min(len(wanted), len(self.layers)) and self.layers[keep][0] == wanted[keep]:
            keep += 1
        self._drop(len(self.layers) - keep)
        for name, key in wanted[keep:]:
            savepoint = self.connection.begin_nested()
            try:
                value = SHARED[name].build(self, request)
                self.session.commit()
            except BaseException:
                self.session.remove()
                savepoint.rollback()
                db.session = self.original_session
                raise
            self.session.remove()
            self.layers.append(((name, key), savepoint, value))
        self.test = self.connection.begin_nested()

    def end(self) -> None:
        """Roll back everything the test did; the shared rows stay for the next one."""
        self.session.remove()
        self.test.rollback()
        self.test = None
        db.session = self.original_session
        self.request = None
        self._values = {}

    def begin_committing(self, request: pytest.FixtureRequest) -> None:
        """A `commits` test: no shared connection, its rows built for it alone when asked for."""
        self.close()
        self.request = request
        self._values = {}

    def end_committing(self) -> None:
        self.request = None
        self._values = {}

    def value(self, name: str) -> Any:
        """The plain values of the rows `name`: the shared ones, or a `commits` test's own."""
        for (layer_name, _key), _savepoint, value in self.layers:
            if layer_name == name:
                return value
        # A `commits` test, or a fixture asked for only while the test runs (request.getfixturevalue):
        # its rows are the test's own.
        if name not in self._values:
            self._values[name] = SHARED[name].build(self, self.request)
        return self._values[name]

    # --- the connection ----------------------------------------------------------------------------

    def _open(self) -> None:
        connection = db.engine.connect()
        self.transaction = connection.begin()
        if connection.dialect.name == "sqlite":
            # pysqlite begins a transaction itself, before the first write only, and never before a
            # SAVEPOINT — whose RELEASE would then commit. Begin it here (SQLAlchemy's pysqlite notes,
            # "Serializable isolation / Savepoints / Transactional DDL").
            driver = connection.connection.driver_connection
            self._isolation_level = driver.isolation_level
            driver.isolation_level = None
            connection.exec_driver_sql("BEGIN")
        self.connection = connection
        _hide_savepoints(connection.dialect)
        joined = sessionmaker(db=db, class_=_JoinedSession, query_cls=db.Query, bind=connection,
                              join_transaction_mode="create_savepoint")
        other = self.original_session.session_factory
        app = self.app

        def session_factory():
            # Only the tests' app works on the tests' connection; an app a test makes has its own database.
            return joined() if current_app._get_current_object() is app else other()

        # One session per app context, as Flask-SQLAlchemy's (a CLI command's context ends with its own).
        self.session = scoped_session(session_factory, scopefunc=lambda: id(app_ctx._get_current_object()))

    def _drop(self, count: int) -> None:
        self.session.remove()
        for _ in range(count):
            _key, savepoint, _value = self.layers.pop()
            savepoint.rollback()

    def close(self) -> None:
        """Roll back every shared row and give the connection back (before a `commits` test, at the end)."""
        db.session = self.original_session
        if self.connection is None:
            return
        self._drop(len(self.layers))
        self.transaction.rollback()
        if self.connection.dialect.name == "sqlite":
            self.connection.connection.driver_connection.isolation_level = self._isolation_level
        _show_savepoints(self.connection.dialect)
        self.connection.close()
        self.connection = self.transaction = self.session = None


_SAVEPOINT_STATEMENTS = {"do_savepoint": "SAVEPOINT {}", "do_rollback_to_savepoint": "ROLLBACK TO SAVEPOINT {}",
                         "do_release_savepoint": "RELEASE SAVEPOINT {}"}


def _hide_savepoints(dialect) -> None:
    """Run the savepoints on the driver's cursor, unseen by statement events: they stand in for the
    BEGIN and COMMIT of a use case, which the drivers run unseen too, so tests counting a use case's
    statements count the same as on a database of their own."""
    def run(template):
        def do(connection, name):
            cursor = connection.connection.dbapi_connection.cursor()
            try:
                cursor.execute(template.format(name))
            finally:
                cursor.close()
        return do

    for method, template in _SAVEPOINT_STATEMENTS.items():
        setattr(dialect, method, run(template))


def _show_savepoints(dialect) -> None:
    for method in _SAVEPOINT_STATEMENTS:
        delattr(dialect, method)
