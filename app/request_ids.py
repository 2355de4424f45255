"""A request id for every request: sent back as X-Request-Id, shown on error pages, and written into
every log record of the request (so a user's "出错了 (request id …)" finds the logged traceback)."""
import logging
import secrets

from flask import Flask, has_request_context, request

HEADER = "X-Request-Id"
_ENVIRON_KEY = "jiefen.request_id"


def current_request_id() -> str:
    """The id of the current request, made when first asked for (kept in the WSGI environ: `g` may
    outlive a request when an app context encloses several)."""
    return request.environ.setdefault(_ENVIRON_KEY, secrets.token_hex(8))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not getattr(record, "request_id", None):
            request_id = current_request_id()
            setattr(record, "request_id", request_id)  # an attribute of our own, as logging's `extra=` adds
            record.msg = f"{record.msg} [request_id={request_id}]"
        return True


def init_app(app: Flask) -> None:
    app.logger.addFilter(_RequestIdFilter())

    @app.after_request
    def _send_request_id(response):
        response.headers[HEADER] = current_request_id()
        return response
