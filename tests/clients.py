"""A test client whose every request runs in its own app context, as in production.

The database fixture keeps one app context open for the whole test; requests of the plain test client
share it, and with it `flask.g`, where Flask-Login caches the logged-in user. Tests of what happens to a
session between requests need each request to load the user afresh.
"""
from flask.testing import FlaskClient


class FreshContextClient(FlaskClient):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def fresh_client(app) -> FreshContextClient:
    return FreshContextClient(app, app.response_class, use_cookies=True)
