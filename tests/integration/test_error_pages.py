"""A defect (500) answers with our own translated page, never Werkzeug's: a request id is sent as
X-Request-Id, shown on the page (JSON under /api/) and logged with the traceback."""
import logging

import pytest

from app import create_app

pytestmark = pytest.mark.sqlite  # the error handlers, mostly on an app of their own on SQLite


@pytest.fixture
def failing_app(tmp_path):
    """The real app (not the tests' one, which lets exceptions through) with one route that breaks."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'error-pages.sqlite'}",
                      "SECRET_KEY": "s" * 32, "TRAIL_KEY": "t" * 32, "RATELIMIT_STORAGE_URI": "memory://",
                      "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    def broken():
        raise RuntimeError("a defect")

    app.add_url_rule("/broken", "broken", broken)
    # Alembic's fileConfig (the tests' migrations, in this process) disables loggers that existed before it.
    app.logger.disabled = False
    app.add_url_rule("/api/v1/broken", "api_broken", broken)
    return app


def test_a_defect_shows_our_page_with_the_request_id_it_logged(failing_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get("/broken")
    page = response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    assert response.status_code == 500
    assert 'data-testid="error-message"' in page and "服务器内部错误" in page
    assert f'<code data-testid="request-id">{request_id}</code>' in page
    assert "Internal Server Error" not in page
    [record] = [record for record in caplog.records if record.exc_info]
    assert record.request_id == request_id and request_id in record.getMessage()
    assert "a defect" in caplog.text


def test_the_page_follows_the_users_language(failing_app):
    response = failing_app.test_client().get("/broken", headers={"Accept-Language": "en"})
    assert "Something went wrong on the server" in response.get_data(as_text=True)


def test_an_api_defect_answers_json_with_the_request_id(failing_app):
    response = failing_app.test_client().get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    assert response.json["request_id"] == response.headers["X-Request-Id"]


def test_every_response_carries_a_request_id_of_its_own(client):
    first, second = client.get("/login"), client.get("/login")
    assert len(first.headers["X-Request-Id"]) == 16
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_a_method_not_allowed_is_our_page_too(client):
    response = client.delete("/login", headers={"Accept-Language": "en"})
    assert response.status_code == 405
    assert "The request is not valid and cannot be processed." in response.get_data(as_text=True)
