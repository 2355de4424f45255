"""The benchmark scripts run (bench/): a 10-case database and every measure made from a handful of
operations. Nothing is timed here; the figures are read by people, in bench/RESULTS.md."""
import importlib.util
import os
import re
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

from app import create_app
from app.extensions import db
from app.services.supervision.case_counts import case_count_differences
from bench.generate import BENCH_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_generate_and_every_measure_run_on_ten_cases(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    generated = run("bench/generate.py", "10", "--url", url, "--towns", "1", "--grids-per-town", "16",
                    "--open-share", "0.5")
    assert "10 cases in" in generated
    # Each copy's workflow data names the copy's own category, or every step it takes records a change of it.
    with sqlite3.connect(tmp_path / "bench.sqlite") as connection:
        states = connection.execute(
            "SELECT category.code, workflow_state.state FROM dispute_case"
            " JOIN category ON category.id = dispute_case.category_id"
            " JOIN workflow_state ON workflow_state.case_id = dispute_case.id").fetchall()
        # The copies' dates are moved back together, so each keeps its time to close.
        wrong_close_seconds = connection.execute(
            "SELECT count(*) FROM dispute_case WHERE closed_at IS NOT NULL AND"
            " abs((julianday(closed_at) - julianday(opened_at)) * 86400 - close_seconds) > 0.01").fetchone()[0]
        closed = connection.execute("SELECT count(*) FROM dispute_case WHERE close_seconds IS NOT NULL").fetchone()[0]
    named = {(code, tuple(set(re.findall(r'"category":\s*"([^"]*)"', zlib.decompress(state).decode()))))
             for code, state in states}
    assert len(states) > 10 and named == {(code, (code,)) for code, _state in named}  # the templates too
    assert wrong_close_seconds == 0 and closed > 0
    # The copies bypass the steps that keep the dashboard's counts: the generator counts them afresh.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **BENCH_CONFIG})  # in this process: no need of a fresh one
    with app.app_context():
        assert case_count_differences() == {}
        db.engine.dispose()
    http = [] if importlib.util.find_spec("gunicorn") else ["--skip-http"]  # gunicorn: the `bench` extra
    measured = run("bench/run.py", "--url", url, "--smoke", *http)
    for measure in ("durable completion, service layer", "list: cases sort=due (admin)", "due-timer query",
                    "sweep of", "stored bytes per case", "SQL statements per completion"):
        assert f"| {measure}" in measured
    if not http:
        assert "| completion over HTTP (API), gunicorn 2 workers" in measured
        assert "| worker RSS after" in measured
