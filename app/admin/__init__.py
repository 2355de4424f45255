"""Administration: the working-day schedules the business calendar uses; log-ins and sessions."""
from app.admin.routes import bp

__all__ = ["bp"]
