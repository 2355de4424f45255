"""The one reader of the time is app/services/time_limits/clock.py: everything else asks `clock.now()`,
so tests move the time with the clock fixture and no code reads a time they cannot move."""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
CLOCK = APP / "services" / "time_limits" / "clock.py"
# receiver → the methods that read the time
TIME_READERS = {"datetime": {"now", "utcnow", "today"}, "date": {"today"}, "time": {"time", "time_ns"}}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def time_reads(source: str) -> list[str]:
    """`datetime.now(...)`, `datetime.datetime.utcnow()`, `date.today()`, `time.time()` calls in the source, under any alias."""
    tree = ast.parse(source)
    # `from datetime import datetime as dt`, `import time as t`: the alias stands for the name
    aliases = {alias.asname: alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for alias in node.names if alias.asname}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = _dotted(node.func.value).rsplit(".", 1)[-1]
            receiver = aliases.get(receiver, receiver)
            if node.func.attr in TIME_READERS.get(receiver, ()):
                found.append(f"line {node.lineno}: {_dotted(node.func)}()")
    return found


def test_only_the_clock_reads_the_time():
    readers = {
        str(path.relative_to(APP.parent)): reads
        for path in sorted(APP.rglob("*.py")) if path != CLOCK
        for reads in [time_reads(path.read_text(encoding="utf-8"))] if reads
    }
    assert readers == {}


def test_the_scan_sees_each_way_of_reading_the_time():
    source = ("import datetime, time\nfrom datetime import date, datetime as dt\n"
              "a = datetime.datetime.now()\nb = dt.utcnow()\nc = date.today()\nd = time.time()\n"
              "e = clock.now()\nf = datetime.now(timezone.utc)\n")
    assert [read.split(":")[0] for read in time_reads(source)] == ["line 3", "line 4", "line 5", "line 6", "line 8"]
    assert time_reads(CLOCK.read_text(encoding="utf-8"))  # the clock itself does read it


def test_the_engine_and_the_clock_import_no_database():
    """The engine runs workflows and the clock reads the time; neither touches the database."""
    database = ("sqlalchemy", "flask_sqlalchemy", "app.extensions", "app.models")
    for path in [*sorted((APP / "services" / "engine").glob("*.py")), CLOCK]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [name for name in imported if name.startswith(database)], path.name
