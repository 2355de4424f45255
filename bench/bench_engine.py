"""Engine figures on the real process, no database: parse, start, a step, a timer sweep, state size.

Run by hand: `.venv/bin/python bench/bench_engine.py [repeats]`. It prints medians; nothing asserts.
"""
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import time_machine

from app.services import engine
from app.services.engine import runtime
from app.services.time_limits.business_calendar import BusinessCalendar

BPMN = (Path(__file__).resolve().parent.parent / "processes" / "dispute_mediation.bpmn").read_text(encoding="utf-8")
TRIAGE = {"category": "neighbour", "violence_risk": False, "tier": 1, "triage_note": "bench"}
START = {"case_number": "JF-BENCH", "title": "bench", "category": "neighbour", "source": "walk_in",
         "violence_risk": False, "tier": 1, "result": "", "judicial_confirmation": False}


def median_ms(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main(repeats: int) -> None:
    working = BusinessCalendar("working")
    runtime._parse.cache_clear()
    began = time.perf_counter()
    engine.inspect_definition(BPMN)
    first_parse = (time.perf_counter() - began) * 1000

    def parse_uncached():
        runtime._parse.cache_clear()
        engine.inspect_definition(BPMN)

    started = engine.start_workflow(BPMN, START, working)
    triage_id = started.ready_tasks[0].engine_task_id
    after_triage = engine.complete_task(started.state, triage_id, TRIAGE, working)
    rows = [
        ("parse + validate, first in process (XSD load)", first_parse),
        ("parse + validate, uncached", median_ms(parse_uncached, repeats)),
        ("start a workflow to triage (cached spec)", median_ms(lambda: engine.start_workflow(BPMN, START, working), repeats)),
        ("complete triage: load, step, serialize", median_ms(
            lambda: engine.complete_task(started.state, triage_id, TRIAGE, working), repeats)),
        ("describe a saved state", median_ms(lambda: engine.describe(after_triage.state), repeats)),
    ]
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=4), tick=False):
        rows.append(("fire due timers (escalation + yellow card)", median_ms(
            lambda: engine.fire_due_timers(after_triage.state, working), repeats)))
    print(f"engine, {repeats} repeats, medians")
    for label, value in rows:
        print(f"  {label:<48} {value:8.2f} ms")
    print(f"  {'saved state after triage':<48} {len(after_triage.state) / 1024:8.1f} KB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
