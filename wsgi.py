"""The app as gunicorn (`wsgi:app`), `flask --app wsgi` and the scheduler run it."""
import gc

from app import create_app

app = create_app()
# What the start made (the app, SQLAlchemy's mappers, SpiffWorkflow, the catalogues: ~140,000 objects) lives as long
# as the process: frozen out of the collector's full passes, each of which walked it all again (~150 ms on a
# 2-core server, landing on whichever request was running: the lists' 95th percentile).
gc.freeze()
