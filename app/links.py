"""Links that leave the app (door-plate QR codes, the API's `url` fields) are built on the configured
public address, JIEFEN_PUBLIC_BASE_URL, never on the request's Host header, which a client chooses."""
from flask import current_app, url_for


def public_base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute address under the public base; without one, the path alone (a reference relative
    to the server the caller reached: still never a host taken from the request)."""
    return public_base_url() + url_for(endpoint, **values)
