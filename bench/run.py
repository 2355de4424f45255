"""The measures of bench/RESULTS.md, on a database filled by bench/generate.py (`make bench` runs both).

    PYTHONPATH=. .venv/bin/python bench/run.py [--url DATABASE_URL] [--repeats 20] [--completions 100]
        [--skip-http] [--smoke]

Prints a Markdown table: durable completions per second through the service layer and over HTTP under
gunicorn with 1 and 2 workers (API, bearer token) with the floor ratio; a no-database request per second;
list pages p50/p95 server time with the plan's use of dispute_case (EXPLAIN); the due-timer query; a sweep
of every due timer (seconds per 1,000); stored bytes per case; a gunicorn worker's RSS after 1,000 mixed requests; and a
profile of completions. It changes the database (cases are opened, completed and swept): generate afresh
before comparing runs. `--smoke` makes every figure but the one-worker completions from a handful of operations,
all HTTP ones on one gunicorn of 2 workers (the test suite's run).
"""
import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Category, DisputeCase, PendingTimer, Task, User, WorkflowState  # noqa: E402
from app.services import engine  # noqa: E402
from app.services.cases import lists as listing  # noqa: E402
from app.services.cases import registry as cases  # noqa: E402
from app.services.cases import tasks  # noqa: E402
from app.services.cases.mirror import saved_state  # noqa: E402
from app.services.intake.api_tokens import create_token  # noqa: E402
from app.services.supervision import dashboard  # noqa: E402
from app.services.supervision import lists as supervision  # noqa: E402
from app.services.time_limits import clock  # noqa: E402
from app.services.time_limits.timers import due_cases, fire_due_timers  # noqa: E402
from app.services.time_limits.year_schedules import current_calendar  # noqa: E402
from bench.generate import BENCH_CONFIG, DEFAULT_URL, grid_code  # noqa: E402
from tests import factories as f  # noqa: E402

POLICE_DONE = {"police_action": "出警处置", "result": "returned_to_mediation", "tier": 2}
rows: list[tuple[str, str, str]] = []  # measure, figure, note


def report(measure: str, figure: str, note: str = "") -> None:
    rows.append((measure, figure, note))
    print(f"| {measure} | {figure} | {note} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("JIEFEN_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--completions", type=int, default=100)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="a handful of each, to check the script runs")
    parser.add_argument("--lists-only", action="store_true", help="only the list pages and the due-timer query")
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.completions = 2, 4
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **BENCH_CONFIG})
    gc.freeze()  # as wsgi.py does in a server: the collector's full passes leave out what the start made
    with app.app_context():
        total = db.session.scalar(select(func.count(DisputeCase.id)))
        opened = db.session.scalar(select(func.count(DisputeCase.id)).where(DisputeCase.status == "open"))
        print(f"{db.engine.dialect.name}: {total} cases, {opened} open\n\n| measure | figure | note |\n|---|---|---|")
        people = {user.username: user for user in db.session.scalars(select(User))}
        if args.lists_only:
            lists(people, args.repeats)
            due_timer_query(args.repeats)
            return
        completions(people, args.completions)
        due_timer_query(args.repeats)  # on the generated backlog of due timers,
        sweep()  # which the sweep then fires: the lists are read with the cards it raised, as a county's are
        lists(people, args.repeats)
        stored_bytes(total)
        profile_completions(people, max(args.completions // 2, 2))
    if not args.skip_http:
        http(app, args)


# --- Completions ----------------------------------------------------------------------------------

def _triage_tasks(people, count: int) -> list[int]:
    """Open `count` cases on the first grid and return their ready triage tasks."""
    grid_id = _grid_id(grid_code(0, 0))
    category_id = db.session.scalar(select(Category.id).where(Category.code == "neighbour"))
    opened = []
    for index in range(count):
        case = cases.open_case(people["dispatcher_1"], cases.NewCase(
            title=f"bench {index}", source="walk_in", category_id=category_id, grid_id=grid_id,
            parties=[cases.NewParty("张三", "applicant"), cases.NewParty("李四", "respondent")]))
        opened.append(case.id)
    return [db.session.scalar(select(Task.id).where(Task.case_id == case_id, Task.state == "ready"))
            for case_id in opened]


def _grid_id(code: str) -> int:
    from app.models import Grid
    return db.session.scalar(select(Grid.id).where(Grid.code == code))


def completions(people, count: int) -> None:
    task_ids = _triage_tasks(people, count)
    states = [db.session.get(WorkflowState, db.session.get(Task, task_id).case_id) for task_id in task_ids]
    floor_inputs = [(saved_state(state), db.session.get(Task, task_id).engine_task_id)
                    for state, task_id in zip(states, task_ids)]
    db.session.commit()
    actor = people["dispatcher_1"]
    began = time.perf_counter()
    for task_id in task_ids:
        tasks.submit_task(actor, task_id, f.TRIAGE_L1)
    service = count / (time.perf_counter() - began)
    # The floor: the engine's own load + complete + save of the same states, and one bare commit of a row of
    # the saved state's size.
    calendar = current_calendar()
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id integer primary key, body text)"))
        connection.execute(text("DELETE FROM bench_floor"))
        connection.execute(text("INSERT INTO bench_floor (id, body) VALUES (1, '')"))
    began = time.perf_counter()
    for saved, engine_task_id in floor_inputs:
        result = engine.complete_task(saved, engine_task_id, f.TRIAGE_L1, calendar)
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE bench_floor SET body = :body WHERE id = 1"), {"body": result.state})
    floor = count / (time.perf_counter() - began)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_floor"))
    report("durable completion, service layer, one thread", f"{service:.0f} /s",
           f"floor {floor:.0f} /s → {floor / service:.2f} × floor; {count} triage completions")


def profile_completions(people, count: int) -> None:
    task_ids = _triage_tasks(people, count)
    actor = people["dispatcher_1"]
    statements: list[str] = []
    record = lambda *a: statements.append(a[2])  # noqa: E731
    profiler = cProfile.Profile()
    event.listen(db.engine, "before_cursor_execute", record)
    profiler.enable()
    for task_id in task_ids:
        tasks.submit_task(actor, task_id, f.TRIAGE_L1)
    profiler.disable()
    event.remove(db.engine, "before_cursor_execute", record)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"app/|SpiffWorkflow/bpmn/serializer", 14)
    report("SQL statements per completion (triage)", f"{len(statements) / count:.1f}")
    print("\nProfile of", count, "completions (cumulative, our code and the serializer):")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-2400:])


# --- Lists ------------------------------------------------------------------------------------------

def _timed(call, repeats: int) -> tuple[float, float, list[str]]:
    statements: list[str] = []
    record = lambda *a: statements.append((a[2], a[3]))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    call()
    event.remove(db.engine, "before_cursor_execute", record)
    db.session.rollback()
    times, cpu = [], []
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        db.session.rollback()
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    _timed.cpu = statistics.median(cpu)  # this process's CPU: on SQLite the query's own work, whatever the load
    return statistics.median(times), p95, statements


def case_table_plan(statements) -> str:
    """How each statement reads dispute_case: 'index' when every read of it uses an index, else 'SCAN'."""
    verdicts = set()
    with db.engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")) or "dispute_case" not in statement:
                continue
            if db.engine.dialect.name == "sqlite":
                plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                verdicts |= {"SCAN" if line.startswith("SCAN dispute_case") and "INDEX" not in line else "index"
                             for line in plan if "dispute_case" in line}
            else:
                plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
                verdicts |= {"SCAN" if "Seq Scan on dispute_case" in line else "index"
                             for line in plan if "dispute_case" in line}
    return "SCAN" if "SCAN" in verdicts else ("index" if verdicts else "—")


def lists(people, repeats: int) -> None:
    family = db.session.scalar(select(Category.id).where(Category.code == "family"))
    ListFilter = listing.ListFilter
    who = {"admin": people["admin"], "dispatcher": people["dispatcher_1"], "mediator": people["mediator_1_1"],
           "grid worker": people[f"gw_{grid_code(0, 0)}"], "supervisor": people["supervisor_1"],
           "panel member": people["panel_member_1"], "police officer": people["police_1_1"]}
    measures = [
        ("my tasks (grid worker)", lambda: tasks.list_my_tasks(who["grid worker"])),
        ("my tasks (dispatcher)", lambda: tasks.list_my_tasks(who["dispatcher"])),
        ("team tasks (dispatcher)", lambda: tasks.list_team_tasks(who["dispatcher"])),
        ("team tasks (admin)", lambda: tasks.list_team_tasks(who["admin"])),
    ]
    for role in ("dispatcher", "admin"):
        measures += [
            (f"cases sort=due ({role})", lambda r=role: cases.list_cases(who[r], ListFilter(sort="due"))),
            (f"cases sort=urgency ({role})", lambda r=role: cases.list_cases(who[r], ListFilter(sort="urgency"))),
            (f"cases status=open&sort=urgency ({role})",
             lambda r=role: cases.list_cases(who[r], ListFilter(status="open", sort="urgency"))),
            (f"cases due=overdue ({role})", lambda r=role: cases.list_cases(who[r], ListFilter(due_state="overdue"))),
            (f"cases category=family ({role})", lambda r=role: cases.list_cases(who[r], ListFilter(category_id=family))),
            (f"cases page=2000 ({role})", lambda r=role: cases.list_cases(who[r], ListFilter(page=2000))),
        ]
    # The lists a dashboard figure links to (the cases behind it), for the county and a town's supervisor: the year's
    # cases by tier, source, closed, closed on time and late, resolved.
    year = dashboard.default_period(dashboard.today())
    closed_in = ListFilter(closed_from=year.start, closed_to=year.end)
    for role in ("admin", "supervisor"):
        for name, wanted in (("tier=2", ListFilter(tier=2)), ("source=police_handoff", ListFilter(source="police_handoff")),
                             ("closed in the period", closed_in), ("closed late", replace(closed_in, on_time=False)),
                             ("resolved", replace(closed_in, outcomes=("agreement",)))):
            measures.append((f"cases {name} ({role})", lambda r=role, w=wanted: cases.list_cases(who[r], w)))
    measures += [
        ("cases of a mediator (routed only)", lambda: cases.list_cases(who["mediator"], ListFilter())),
        ("cases text search (admin)", lambda: cases.list_cases(who["admin"], ListFilter(text="bench 12"))),
    ]
    # Search by a party's name (two characters, the commonest Chinese query), one character, a phone's tail, and
    # two digits many cases carry; by every reader whose list differs in kind (the county, a town, a town's
    # supervisor, a room's or the panel's routed cases, a police grid).
    for reader in ("dispatcher", "admin", "supervisor", "mediator", "panel member", "police officer"):
        for term in ("张三", "张", "0001", "12"):
            measures.append((f"search {term!r} ({reader})",
                             lambda t=term, r=reader: cases.list_cases(who[r], ListFilter(text=t))))
    period = dashboard.parse_period(None, None, dashboard.today())
    for role in ("supervisor", "admin"):
        measures.append((f"dashboard, default period ({role})", lambda r=role: dashboard.build_dashboard(who[r], period)))
    for kind in ("weekly", "reminder", "supervised"):
        for role in ("supervisor", "admin"):
            measures.append((f"supervision {kind}, first page ({role})",
                             lambda k=kind, r=role: supervision.supervision_page(who[r], k)))
    for role in ("supervisor", "admin"):
        measures.append((f"supervision weekly CSV, every row ({role})",
                         lambda r=role: supervision.supervision_csv(who[r], "weekly", ZoneInfo("Asia/Shanghai"))))
    for name, call in measures:
        p50, p95, statements = _timed(call, repeats)
        report(f"list: {name}", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms",
               f"CPU p50 {_timed.cpu:.1f} ms; dispute_case read by {case_table_plan(statements)}")


def due_timer_query(repeats: int) -> None:
    """A sweep's batch of due cases, as the sweep asks for it, with every timer due until now (no sweep yet)."""
    query = due_cases(clock.now()).limit(500)
    backlog = db.session.scalar(select(func.count()).where(PendingTimer.due_at <= clock.now()))
    p50, p95, statements = _timed(lambda: db.session.scalars(query).all(), repeats)
    report("due-timer query (500 cases)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", f"{backlog} timers due")


def sweep() -> None:
    """One sweep fires everything due (batch after batch, as the scheduler's does): timed per 1,000 firings."""
    began = time.perf_counter()
    outcome = fire_due_timers()
    elapsed = time.perf_counter() - began
    fired = max(outcome.timers_fired, 1)
    report(f"sweep of {outcome.timers_fired} due timers", f"{elapsed:.1f} s, {1000 * elapsed / fired:.1f} s per 1,000",
           f"{outcome.cases_advanced} cases advanced, {outcome.remaining} still due")


def stored_bytes(total: int) -> None:
    closed_state = db.session.scalar(select(func.avg(func.length(WorkflowState.state))).join(
        DisputeCase, DisputeCase.id == WorkflowState.case_id).where(DisputeCase.status == "closed")) or 0
    if db.engine.dialect.name == "sqlite":
        size = db.session.execute(text("PRAGMA page_count")).scalar() * db.session.execute(text("PRAGMA page_size")).scalar()
    else:
        size = db.session.execute(text("SELECT pg_database_size(current_database())")).scalar()
    db.session.rollback()
    report("stored bytes per case (database size / cases)", f"{size / max(total, 1) / 1024:.1f} KB",
           f"workflow state of a closed case {closed_state / 1024:.1f} KB")


# --- HTTP under gunicorn --------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(url: str, workers: int):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": BENCH_CONFIG["SECRET_KEY"],
           "JIEFEN_TRAIL_KEY": BENCH_CONFIG["TRAIL_KEY"],
           "JIEFEN_RATELIMIT_STORAGE_URI": BENCH_CONFIG["RATELIMIT_STORAGE_URI"], "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).read()
            break
        except OSError:
            time.sleep(0.2)
    return process, f"http://127.0.0.1:{port}"


def _stop(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _run_threads(jobs: list, threads: int) -> float:
    """Run the callables on `threads` threads; the rate per second."""
    lock = threading.Lock()
    pending = list(jobs)

    def work():
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            job()

    began = time.perf_counter()
    runners = [threading.Thread(target=work) for _ in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    return len(jobs) / (time.perf_counter() - began)


def _request(base: str, path: str, token: str | None = None, body: dict | None = None) -> int:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status


def _no_database_rate(base: str, requests: int) -> tuple[float, str]:
    """Requests a second for the OpenAPI document, and by what client: ApacheBench when installed (Debian's
    apache2-utils) — Python client threads on the same two cores cost more CPU than the workers they measure."""
    if shutil.which("ab"):
        done = subprocess.run(["ab", "-q", "-n", str(requests), "-c", "8", f"{base}/api/v1/openapi.json"],
                              capture_output=True, text=True, check=True)
        return float(re.search(r"Requests per second:\s+([\d.]+)", done.stdout).group(1)), "ab, 8 connections"
    rate = _run_threads([lambda: _request(base, "/api/v1/openapi.json")] * requests, threads=4)
    return rate, "4 Python client threads (install apache2-utils for ab)"


def _police_tasks(app, count: int) -> tuple[str, list[int]]:
    with app.app_context():
        people = {user.username: user for user in db.session.scalars(select(User))}
        token = create_token("bench_http", "1-1警格").token
        triage = _triage_tasks(people, count)
        for task_id in triage:
            tasks.submit_task(people["dispatcher_1"], task_id, f.TRIAGE_RISK)
        case_ids = [db.session.get(Task, task_id).case_id for task_id in triage]
        police = [db.session.scalar(select(Task.id).where(Task.case_id == case_id, Task.state == "ready"))
                  for case_id in case_ids]
        db.session.commit()
    return token, police


def http(app, args) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if args.smoke:
        # One server for every measure: each start imports the app in every worker (~2.5 s of CPU a worker).
        process, base = _gunicorn(url, 2)
        try:
            completions_over_http(app, base, 2, args.completions)
            no_database_request(base, 40)
            rss(app, base, process, 20)
        finally:
            _stop(process)
        return
    for workers in (1, 2):
        process, base = _gunicorn(url, workers)
        try:
            completions_over_http(app, base, workers, args.completions)
            if workers == 2:
                no_database_request(base, 4000)
        finally:
            _stop(process)
    process, base = _gunicorn(url, 1)
    try:
        rss(app, base, process, 1000)
    finally:
        _stop(process)


def completions_over_http(app, base: str, workers: int, count: int) -> None:
    token, police = _police_tasks(app, count)
    rate = _run_threads([lambda t=t: _request(base, f"/api/v1/tasks/{t}/complete", token, POLICE_DONE)
                         for t in police], threads=2 * workers)
    report(f"completion over HTTP (API), gunicorn {workers} worker{'s' if workers > 1 else ''}", f"{rate:.0f} /s",
           f"{count} police steps, {2 * workers} client threads")


def no_database_request(base: str, requests: int) -> None:
    rate, client = _no_database_rate(base, requests)
    report("no-database request (OpenAPI document), gunicorn 2 workers", f"{rate:.0f} /s", client)


def rss(app, base: str, process, requests: int) -> None:
    """The largest worker's RSS after `requests` mixed API requests (the full run serves them on one worker)."""
    token, police = _police_tasks(app, max(requests // 50, 1))
    with app.app_context():
        numbers = db.session.scalars(select(DisputeCase.number).where(DisputeCase.status == "open").limit(50)).all()
    mix = []
    for index in range(requests):
        kind = index % 4
        if kind == 0:
            mix.append(lambda: _request(base, "/api/v1/openapi.json"))
        elif kind == 1:
            mix.append(lambda: _request(base, "/api/v1/tasks", token))
        elif kind == 2:
            mix.append(lambda i=index: _request(base, f"/api/v1/cases/{numbers[i % len(numbers)]}", token)
                       if numbers else None)
        elif police:
            task_id = police.pop()
            mix.append(lambda t=task_id: _request(base, f"/api/v1/tasks/{t}/complete", token, POLICE_DONE))
        else:
            mix.append(lambda: _request(base, "/api/v1/pushes", token))
    for job in mix:
        try:
            job()
        except urllib.error.HTTPError:
            pass  # a case outside the police system's grids answers 404: still a request served
    workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    largest = max((_memory_kb(pid) for pid in workers), key=lambda kb: kb["VmRSS"])
    report(f"worker RSS after {requests} mixed API requests", f"{largest['VmRSS'] / 1024:.0f} MB",
           f"{largest['RssAnon'] / 1024:.0f} MB of it private (RssAnon), the rest shared files and SQLite's "
           "memory map; OpenAPI, task list, case, completions/pushes")


def _memory_kb(pid: str) -> dict[str, int]:
    return {name: int(value.split()[0]) for name, value in
            (line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            if name in ("VmRSS", "RssAnon")}


if __name__ == "__main__":
    main()
