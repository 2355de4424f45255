"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from app.services.cases.search import is_search_table


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_name": lambda name, type_, parents: type_ != "table" or not is_search_table(name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_migrations_have_one_head(app):
    config = Config()
    config.set_main_option("script_location", str(app.config["MIGRATIONS_DIR"]))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
