"""The case file (卷宗) pages: comments and attachments on a case."""
from app.casefile.routes import bp

__all__ = ["bp"]
