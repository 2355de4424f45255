"""Cases and their steps: opening, task lists and completion, task actions, comments and files, list queries,
and the mirror that writes an engine step into the database."""
