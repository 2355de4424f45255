"""Finding cases by any text they carry, with the database's own trigram index.

One search document per case — case number, title, description, address, tracking code, the parties'
names and phones, the police incident numbers — in the table `case_search`, created by migration
0010 and not part of the models' metadata (the schema-drift test and autogenerate skip it):

- SQLite: an FTS5 virtual table with the trigram tokenizer (rowid = case id); a query of three or
  more characters is a phrase MATCH on the index.
- PostgreSQL: a plain table with a GIN `gin_trgm_ops` index (pg_trgm); ILIKE uses the index.

Trigrams need three characters; Chinese names and words are often one or two (张三, 噪音). For those,
`case_search_short` holds every character and every pair of adjacent characters of each document (runs of
letters and digits, lower-cased): SQLite as an FTS5 table of unicode61 tokens, PostgreSQL as a text array
under a GIN index; a one- or two-character term is then one exact token lookup. A short term with other
characters (a dash, a space) scans the search table (`instr` on SQLite, ILIKE on PostgreSQL).

The service layer keeps the documents current: `index_case` is called by every function that writes
a searchable field (opening a case, a police hand-off, a resident's tracking code).
"""
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Select,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from app.extensions import db
from app.models import DisputeCase, Handoff, Party
from app.services.people import access
from app.services.sql import one_of

SEARCH_TABLE = "case_search"
SHORT_TABLE = "case_search_short"  # a name `is_search_table` covers
TRIGRAM = 3
# Up to this many matching cases in the reader's list, the list reads them all, sorts and counts them;
# past it, it walks its own order and asks each case (text_condition). Measured at 100,000 cases: see
# bench/RESULTS.md.
DENSE_MATCHES = 1_000
# A term the county's index holds at most this many times is looked for among its matches.
FEW_MATCHES = 3_000
# A list of which SAMPLE_ROWS cases hold SAMPLE_HITS matches (one in twelve) is walked without counting them.
SAMPLE_ROWS = 300  # at most DENSE_MATCHES + 1: taken from the cases read to count the list
SAMPLE_HITS = 26
RUNS = re.compile(r"[^\W_]+")  # letters and digits, in any script
# A tracking code as residents read it out (ABCD-EFGH-JKMN) is stored without dashes.
GROUPED_CODE = re.compile(r"^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4})+$")


def is_search_table(name: str | None) -> bool:
    """Tables of the search index (FTS5 adds shadow tables `case_search_*`): not in the models."""
    return name is not None and (name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_"))


def _table():
    key = "case_id" if db.engine.dialect.name == "postgresql" else "rowid"
    return table(SEARCH_TABLE, column(key), column("body")), key


def _short_table():
    key = "case_id" if db.engine.dialect.name == "postgresql" else "rowid"
    return table(SHORT_TABLE, column(key), column("grams", ARRAY(Text) if key == "case_id" else Text)), key


def short_grams(body: str) -> list[str]:
    """The distinct characters and adjacent pairs of each run of letters and digits, lower-cased."""
    runs = RUNS.findall(body.lower())
    return sorted({run[i:i + n] for run in runs for n in (1, 2) for i in range(len(run) - n + 1)})


def _document() -> Select:
    """SELECT (case id, search text) of every case, built in SQL."""
    parties = (select(func.aggregate_strings(Party.name + literal(" ") + Party.phone, " "))
               .where(Party.case_id == DisputeCase.id).correlate(DisputeCase).scalar_subquery())
    incidents = (select(func.aggregate_strings(Handoff.incident_number, " "))
                 .where(Handoff.case_id == DisputeCase.id).correlate(DisputeCase).scalar_subquery())
    parts = [DisputeCase.number, DisputeCase.title, DisputeCase.description, DisputeCase.address_text,
             func.coalesce(DisputeCase.tracking_code, ""), func.coalesce(parties, ""), func.coalesce(incidents, "")]
    body = parts[0]
    for part in parts[1:]:
        body = body + literal("\n") + part
    return select(DisputeCase.id, body)


def index_case(case_id: int) -> None:
    """Helper (flushes; the caller owns the transaction): write the case's search document afresh."""
    db.session.flush()
    _write_documents([case_id])


def reindex_all_cases() -> None:
    """Helper: rebuild every document (after bulk inserts that bypass the services, e.g. demo history)."""
    _write_documents(None)


def _write_documents(case_ids: list[int] | None) -> None:
    writes = _writes(db.engine.dialect.name, every_case=case_ids is None)
    chosen = {} if case_ids is None else {"case_ids": case_ids}
    for statement in (writes.delete_documents, writes.delete_grams, writes.insert_documents):
        db.session.execute(statement, chosen)
    postgresql = writes.key == "case_id"
    rows = [{writes.key: case_id, "grams": short_grams(body) if postgresql else " ".join(short_grams(body))}
            for case_id, body in db.session.execute(writes.read_documents, chosen)]
    if rows:
        db.session.execute(writes.insert_grams, rows)


@dataclass(frozen=True)
class _Writes:
    key: str
    delete_documents: Executable
    delete_grams: Executable
    insert_documents: Executable
    read_documents: Executable
    insert_grams: Executable


@cache
def _writes(dialect_name: str, *, every_case: bool) -> _Writes:
    """The statements that write documents afresh, for the cases bound as `case_ids` (or every case), built once per
    database kind (`_table` names its key after it): building the document's query and its cache key took 3 of
    the 4 ms of CPU that writing a case's document took."""
    search, key = _table()
    short, _ = _short_table()
    chosen_ids: BindParameter[list[int]] = bindparam("case_ids", expanding=True)

    def of_chosen(statement, column):
        return statement if every_case else statement.where(column.in_(chosen_ids))

    return _Writes(
        key=key,
        delete_documents=of_chosen(delete(search), search.c[key]),
        delete_grams=of_chosen(delete(short), short.c[key]),
        insert_documents=insert(search).from_select([key, "body"], of_chosen(_document(), DisputeCase.id)),
        read_documents=of_chosen(select(search.c[key], search.c.body), search.c[key]),
        insert_grams=insert(short),
    )


def text_condition(listed: Select, query_text: str) -> tuple[ColumnElement[bool], int | None]:
    """The condition on DisputeCase of carrying `query_text`, and how many of the list's cases carry it (None:
    many, not counted).
    `listed` is the list's query without the text: the reader's cases and the other filters. What the
    reader sees never depends on how many cases match elsewhere; only the work done does.

    Few: the ids of the list's matches are read once (at most DENSE_MATCHES), then the list is read and
    sorted by them, and their number is a case list's count (not counted again: the count re-checked each
    match's routes and area). Many, and the list is walked in its own order, each case asked, until the
    page is full, and not counted (`paginate`; counting every match cost PostgreSQL 1.9 s for a term all
    100,000 cases carry). Which one, at the least cost:
    1. A term the county's index holds at most FEW_MATCHES times: its matches are read from the index,
       each asked by its key whether it is in the list — a mediator's 800 cases (each a probe of its
       routes) cost more to ask than 张's 2,000 matches in the county.
    2. Otherwise a list of at most DENSE_MATCHES rows is read once, and each of its cases' documents asked by
       its key (a mediator's "12": walking the county's order for the room's cases cost PostgreSQL twice as
       much; reading the list again with the text asked cost it its routes' probes twice).
    3. Otherwise a sample: SAMPLE_ROWS of the list's cases, the first the database read in 2 (not sorted:
       sorting a supervisor's list for it cost as much as the walk), hold SAMPLE_HITS matches: one case
       in twelve or more carries the term (a digit, the year), and many do.
    4. Otherwise the list's cases among the term's matches, joined as the database plans it (the matches,
       more than FEW_MATCHES, outnumber many a reader's cases: for a mediator's "12", PostgreSQL hashed the
       county's 11,494 matches and walked the room's 3,573 cases in 37 ms, where asking each match whether it
       is in the list, as in 1, took 59) — more than DENSE_MATCHES of them the reader's, and many do."""
    ids = listed.with_only_columns(DisputeCase.id, maintain_column_froms=True).order_by(None)
    if _at_most(_matches(query_text), FEW_MATCHES):
        # Each match asked whether it is in the list, by its key; OFFSET 0 keeps it so on PostgreSQL, which
        # otherwise hashed the town's 12,000 cases to join them (34 ms for 张's 2,066 matches).
        matches = _matches(query_text).subquery()
        in_list = ids.where(DisputeCase.id == matches.c.case_id).offset(0).exists()
        return _counted(select(matches.c.case_id).where(in_list), query_text)
    listed_ids = list(db.session.scalars(ids.limit(DENSE_MATCHES + 1)))
    if len(listed_ids) <= DENSE_MATCHES:
        carrying = _carrying(listed_ids, query_text)
        return one_of(DisputeCase.id, carrying), len(carrying)
    if len(_carrying(listed_ids[:SAMPLE_ROWS], query_text)) >= SAMPLE_HITS:
        return _document_contains(query_text), None
    return _counted(ids.where(DisputeCase.id.in_(_matches(query_text))), query_text)


def _counted(matching_ids: Select, query_text: str) -> tuple[ColumnElement[bool], int | None]:
    """By their ids when at most DENSE_MATCHES; else many, each case asked."""
    found = list(db.session.scalars(matching_ids.limit(DENSE_MATCHES + 1)))
    if len(found) > DENSE_MATCHES:
        return _document_contains(query_text), None
    return one_of(DisputeCase.id, found), len(found)


def _carrying(case_ids: list[int], query_text: str) -> list[int]:
    """Those of the cases whose search document contains the text, each read by its key."""
    search, key = _table()
    return list(db.session.scalars(select(search.c[key]).where(
        one_of(search.c[key], case_ids), or_(*(_body_contains(search, each) for each in _terms(query_text.strip()))))))


def _at_most(query: Select, most: int) -> bool:
    """Whether the query has at most `most` rows: at most `most + 1` of them are read."""
    rows = query.with_only_columns(literal(1), maintain_column_froms=True).order_by(None).limit(most + 1)
    return db.session.execute(select(func.count()).select_from(rows.subquery())).scalar_one() <= most


def _matches(query_text: str):
    """SELECT case_id of the documents containing the text, through the index."""
    term = query_text.strip()
    if len(term) < TRIGRAM and RUNS.fullmatch(term):  # one or two letters or digits: one token of the short index
        short, key = _short_table()
        if key == "case_id":
            return select(short.c[key].label("case_id")).where(short.c.grams.contains([term.lower()]))
        return select(short.c[key].label("case_id")).where(
            literal_column(SHORT_TABLE).op("MATCH")(f'"{term.lower()}"'))
    search, key = _table()
    return select(search.c[key].label("case_id")).where(or_(*(_contains(search, each) for each in _terms(term))))


def _terms(term: str) -> set[str]:
    """The term, and a tracking code's without its dashes."""
    terms = {term}
    if GROUPED_CODE.match(term):
        terms.add(term.replace("-", "").upper())
    return terms


def _document_contains(query_text: str) -> ColumnElement[bool]:
    """Whether the case's own search document contains the text, read by the case's key.

    What the indexes match: a term of letters and digits lies within one of the runs the short index
    cuts, so its characters and pairs are there exactly when the document contains it; case is ignored
    (on SQLite, whose lower() folds ASCII letters only, for those).
    OFFSET 0 keeps it a probe per case on PostgreSQL rather than a hash of every match."""
    search, key = _table()
    contains = or_(*(_body_contains(search, each) for each in _terms(query_text.strip())))
    found = select(search.c[key]).where(search.c[key] == DisputeCase.id, contains)
    return (found.offset(0) if key == "case_id" else found).exists()


def _body_contains(search, term: str) -> ColumnElement[bool]:
    """Whether a document's text contains the term, read as it is (no index)."""
    if db.engine.dialect.name == "postgresql":
        return search.c.body.ilike(f"%{_escape_like(term)}%", escape="\\")
    return func.instr(func.lower(search.c.body), term.lower()) > 0


def _contains(search, term: str):
    """Whether a document contains the term, through the trigram index (PostgreSQL's serves ILIKE)."""
    if db.engine.dialect.name == "sqlite" and len(term) >= TRIGRAM:
        return literal_column(SEARCH_TABLE).op("MATCH")('"' + term.replace('"', '""') + '"')
    return _body_contains(search, term)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def phones_visible(actor) -> bool:
    """Whether search results show parties' phones in full: to the roles that handle cases (they call
    the parties), not to read-only roles such as supervisors, who see them masked."""
    return access.may(actor, access.COMPLETE_TASK)


def mask_phone(phone: str) -> str:
    """13800000001 → 138****0001; short numbers keep only their last two digits."""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]
