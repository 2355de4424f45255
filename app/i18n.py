"""The language of each request: Chinese (zh_CN, the source language) by default, English on request.

A logged-in user's own setting wins; otherwise (resident pages, the log-in page, the JSON API) the
browser's Accept-Language chooses between the languages we have; otherwise Chinese.
"""
from flask import Flask, has_request_context, request
from flask_babel import get_locale, refresh
from flask_login import current_user

from app.extensions import babel
from app.models import DEFAULT_LOCALE, LOCALES


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LOCALE)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _choose_locale_afresh() -> None:
        """Forget a locale cached in `g` by an enclosing app context (the CLI, the tests)."""
        refresh()

    @app.context_processor
    def _html_lang() -> dict:
        locale = get_locale()
        return {"html_lang": "-".join(part for part in (locale.language, locale.territory) if part)}
