"""The police officer's hand-off page and pushing a case to the police from the case page."""
from app.handoffs.routes import bp

__all__ = ["bp"]
