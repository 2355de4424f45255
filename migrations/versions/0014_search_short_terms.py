"""search of one- and two-character terms (张三, 噪音) through an index of each case's characters and pairs

Revision ID: search_short_terms
Revises: documents_after_commit
Create Date: 2026-11-28

Trigram indexes cannot serve a term shorter than three characters; Chinese names and words often are.
`case_search_short` holds, per case, every character and every pair of adjacent characters of its search
document (see app/services/cases/search.py): SQLite as an FTS5 table (unicode61 tokens), PostgreSQL as a
text array under a GIN index. Not in the models' metadata, like case_search.
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "search_short_terms"
down_revision = "documents_after_commit"
branch_labels = None
depends_on = None

RUNS = re.compile(r"[^\W_]+")


def grams(body: str) -> list[str]:
    """As of this revision: the distinct characters and adjacent pairs of each run of letters and digits."""
    runs = RUNS.findall(body.lower())
    return sorted({run[i:i + n] for run in runs for n in (1, 2) for i in range(len(run) - n + 1)})


def upgrade():
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE TABLE case_search_short (case_id INTEGER PRIMARY KEY REFERENCES dispute_case (id)"
                   " ON DELETE CASCADE, grams TEXT[] NOT NULL)")
        op.execute("CREATE INDEX ix_case_search_short_grams ON case_search_short USING gin (grams)")
        documents = connection.execute(sa.text("SELECT case_id, body FROM case_search"))
        insert = sa.text("INSERT INTO case_search_short (case_id, grams) VALUES (:id, :grams)")
    else:
        op.execute("CREATE VIRTUAL TABLE case_search_short USING fts5(grams, tokenize='unicode61 remove_diacritics 0')")
        documents = connection.execute(sa.text("SELECT rowid, body FROM case_search"))
        insert = sa.text("INSERT INTO case_search_short (rowid, grams) VALUES (:id, :grams)")
    rows = [{"id": case_id, "grams": grams(body) if postgresql else " ".join(grams(body))}
            for case_id, body in documents]
    if rows:
        connection.execute(insert, rows)


def downgrade():
    op.execute("DROP TABLE case_search_short")
