"""Browser tests: Playwright driving Debian's chromium against the app served on a loopback port.

Headless, as Playwright itself runs it: Chromium's old headless shell (Debian's chromium-headless-shell, the
same Blink as chromium), which takes half the CPU of the full browser in its headless mode.
JIEFEN_CHROMIUM=/usr/bin/chromium runs them in the full browser instead."""
import os
import shutil
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("JIEFEN_CHROMIUM", "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Screenshots (`make screenshots`) write into docs/: only when JIEFEN_SCREENSHOTS=1 asks for them."""
    if os.environ.get("JIEFEN_SCREENSHOTS") == "1":
        return
    keep = [item for item in items if item.get_closest_marker("screenshots") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium-headless-shell (.ci/run does),"
                    " or set JIEFEN_CHROMIUM=/usr/bin/chromium")
    # expect() waits as long as the pages' actions (10 s), not its own 5 s: a worker's first page, bpmn-js
    # loading in a chromium just started, took longer than 5 s on a loaded machine.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The session's app on 127.0.0.1 and a free port, in a thread, for one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], f"http://127.0.0.1:{server.server_port}"
    yield app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = base_url
    server.shutdown()
    thread.join()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page):
    def log_in(username: str, password: str = "secret-pass"):
        page.context.clear_cookies()
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url("**/tasks/")
    return log_in


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    """A 390 × 844 touch phone that lets the page know where it is (near the factories' 和平路12号)."""
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
        permissions=["geolocation"], geolocation={"latitude": 29.77525, "longitude": 104.85212},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, username: str, password: str = "secret-pass"):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/tasks/")


def wait_for_service_worker(page) -> None:
    """Until the service worker controls the page (an awaited promise, not a polled expression: the CSP
    refuses the eval that wait_for_function would need). A worker that was already active when the page
    loaded may never take this page over (no controllerchange comes): then the page is loaded again, which
    an active worker always controls."""
    controlled = page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        if (navigator.serviceWorker.controller) return true;
        return await new Promise((resolve) => {
            navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), {once: true});
            setTimeout(() => resolve(Boolean(navigator.serviceWorker.controller)), 5000);
        });
    }""")
    if not controlled:
        page.reload()
        assert page.evaluate("async () => { await navigator.serviceWorker.ready; "
                             "return Boolean(navigator.serviceWorker.controller); }")
