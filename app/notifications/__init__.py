"""The in-app notification inbox, and its unread count on every page."""
from app.notifications.routes import bp

__all__ = ["bp"]
