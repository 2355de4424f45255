"""search index of cases: SQLite FTS5 (trigram) or PostgreSQL pg_trgm, filled from the existing cases

Revision ID: dashboard_search
Revises: 0009_time_limit_record
Create Date: 2026-11-28

The table is not in the models' metadata (see app/services/cases/search.py): the service layer keeps
it current, and migrations/env.py and the schema-drift test skip it.
"""
from alembic import op

revision = "dashboard_search"
down_revision = "0009_time_limit_record"
branch_labels = None
depends_on = None

# One document per case: number, title, description, address, tracking code, parties, incident numbers.
DOCUMENT = """
SELECT c.id, c.number || {nl} || c.title || {nl} || c.description || {nl} || c.address_text || {nl}
       || coalesce(c.tracking_code, '') || {nl}
       || coalesce((SELECT {agg}(p.name || ' ' || p.phone, ' ') FROM party p WHERE p.case_id = c.id), '') || {nl}
       || coalesce((SELECT {agg}(h.incident_number, ' ') FROM handoff h WHERE h.case_id = c.id), '')
FROM dispute_case c
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE TABLE case_search (case_id INTEGER PRIMARY KEY REFERENCES dispute_case (id)"
                   " ON DELETE CASCADE, body TEXT NOT NULL)")
        op.execute("CREATE INDEX ix_case_search_body_trgm ON case_search USING gin (body gin_trgm_ops)")
        op.execute("INSERT INTO case_search (case_id, body) " + DOCUMENT.format(nl="chr(10)", agg="string_agg"))
    else:
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize='trigram')")
        op.execute("INSERT INTO case_search (rowid, body) " + DOCUMENT.format(nl="char(10)", agg="group_concat"))


def downgrade():
    op.execute("DROP TABLE case_search")
