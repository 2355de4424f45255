"""The user's own settings page: the language of their pages and notifications."""
from app.settings.routes import bp

__all__ = ["bp"]
