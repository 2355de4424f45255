"""Security headers on every kind of response, and no inline script anywhere in the templates."""
import re
from pathlib import Path

import pytest

from app.services.people.users import create_user
from tests.factories import PASSWORD

pytestmark = pytest.mark.sqlite  # the headers of responses and the templates' scripts

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


@pytest.fixture
def logged_in(client, app):
    create_user("zhang", "张", "admin", PASSWORD, [])
    assert client.post("/login", data={"username": "zhang", "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("method, path, status", [
    ("get", "/login", 200),
    ("post", "/login", 200),             # a refused form
    ("get", "/tasks/", 302),             # a redirect to the log-in page
    ("get", "/no-such-page", 404),
    ("get", "/static/jiefen.css", 200),
    ("get", "/api/v1/openapi.json", 200),
    ("get", "/api/v1/tasks", 401),       # JSON errors too
    ("get", "/track", 200),              # public pages
])
def test_every_response_carries_the_security_headers(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_security_headers(response)


def test_logged_in_pages_carry_them_too(logged_in):
    for path in ("/tasks/", "/cases/", "/settings/", "/admin/sign-ins", "/designer/"):
        response = logged_in.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)


def test_https_deployments_add_strict_transport_security(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def assert_security_headers(response) -> None:
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_event_handler_attributes():
    """Scripts come from app/static files; data reaches them as data-* or JSON blocks (the CSP needs it)."""
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{template.name}: {tag}")
        found += [f"{template.name}: {m}" for m in re.findall(r"<[^>]*\son[a-z]+\s*=[^>]*>", text)]
        found += [f"{template.name}: {m}" for m in re.findall(r"javascript:", text, flags=re.IGNORECASE)]
    assert found == []
