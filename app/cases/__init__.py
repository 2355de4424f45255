"""Registering cases, listing them and the case page with parties, tasks and trail."""
from app.cases.routes import bp

__all__ = ["bp"]
