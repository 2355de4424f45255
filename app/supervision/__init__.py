"""Supervision lists (督办清单) and their CSV export."""
from app.supervision.routes import bp

__all__ = ["bp"]
