"""Administration: the working-day schedules the business calendar uses."""
from app.admin.routes import bp

__all__ = ["bp"]
