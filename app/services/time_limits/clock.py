"""The one place that reads the time; tests move it with time-machine."""
from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
