"""Supervision lists (督办清单) and the dashboard (一屏观全域), with their exports."""
from app.supervision import dashboard  # noqa: F401  (registers the dashboard's routes on bp)
from app.supervision.routes import bp

__all__ = ["bp"]
