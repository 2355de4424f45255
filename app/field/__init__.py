"""Field work on a phone: the installable app (manifest, service worker), the outbox of offline
submissions, and "用我的位置" (the nearest standard addresses)."""
from app.field.routes import bp

__all__ = ["bp"]
