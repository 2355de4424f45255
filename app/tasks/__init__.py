"""Task lists (mine, my team's) and the task page with its form."""
from app.tasks.routes import bp

__all__ = ["bp"]
