"""Security headers on every response (pages, the API, static files and error pages).

The Content Security Policy allows scripts from our own files only: no inline <script>, no on*=
handlers, no eval (templates pass data to scripts in data-* attributes or <script type="application/json">).
Styles too come from files only: bpmn-js 18 sets its styles through the DOM, which the policy allows
(tests/browser/test_content_security_policy.py drives the designer under it).
"""
from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Door-plate links carry the plate's token: never send our URLs to another site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS: browsers must keep to it
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
