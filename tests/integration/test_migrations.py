"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column

from app.extensions import db
from app.services.cases.search import is_search_table

pytestmark = pytest.mark.commits  # the schema, read on a connection of its own


def test_models_and_migrations_agree(app):
    # Indexes over expressions are left out: Alembic cannot reflect them on SQLite, nor match their text
    # on PostgreSQL; tests/integration/test_list_plans.py checks that the plans use them.
    expression_indexes = {index.name for table in db.metadata.tables.values() for index in table.indexes
                          if any(not isinstance(expression, Column) for expression in index.expressions)}

    def compared(_object, name, type_, _reflected, _compare_to) -> bool:
        return not (type_ == "index" and name in expression_indexes)

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": compared,
            "include_name": lambda name, type_, parents: type_ != "table" or not is_search_table(name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_migrations_have_one_head(app):
    config = Config()
    config.set_main_option("script_location", str(app.config["MIGRATIONS_DIR"]))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
