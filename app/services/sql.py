"""SQL the services share, written once for both databases."""
import json

from sqlalchemy import ColumnElement, Integer, any_, func, literal, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db


def one_of(column, values: list[int]) -> ColumnElement[bool]:
    """`column` among `values`, bound as one parameter (an array; a JSON list on SQLite). Bound one by one,
    2,000 ids cost PostgreSQL's client 26 ms a statement and SQLite's 2.5 ms, and a county's list could pass the
    number of parameters a statement may have."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(Integer)))
    return column.in_(select(func.json_each(json.dumps(values)).table_valued("value").c.value))


LIKELY = 0.9375  # SQLite's likely(X) is likelihood(X, 0.9375)


def likelihood(condition: ColumnElement[bool], probability: float) -> ColumnElement[bool]:
    """How likely a row meets `condition`, told to SQLite, which keeps no statistics (its likelihood()): it weighs
    walking a list's order index against reading the condition's own index by it. PostgreSQL weighs that from its
    statistics, so there the condition is as it is."""
    if db.engine.dialect.name != "sqlite":
        return condition
    return func.likelihood(condition, literal_column(repr(probability)))


def insert_on_conflict(table, dialect_name: str):
    """The database's own INSERT, which can say ON CONFLICT (both write it alike; SQLAlchemy's plain INSERT
    cannot): for the statements a step builds once per dialect and runs with its rows."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
