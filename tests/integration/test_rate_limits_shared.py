"""Rate limits hold across processes: two real gunicorn servers counting in one throwaway redis-server.

Each request alternates between the two servers, so a limit counted per process would let through twice
as many requests: the memory:// case shows that, the redis:// case shows the limit holding.
"""
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from app.extensions import db
from app.models import Address

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.commits,  # the gunicorn servers read the world on their own connections
    pytest.mark.sqlite,  # the limits are counted in redis or in memory, never in the database
]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REPORT = {"title": "楼道堆放杂物", "description": "邻居长期在楼道堆放杂物，协商未果。", "name": "周九",
          "phone": "13500000009", "consent": "y"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    """A redis-server of our own on a free port, with nothing saved to disk."""
    if not os.path.exists(REDIS_SERVER):
        pytest.fail("redis-server not found: apt-get install redis-server (.ci/run does)")
    port = free_port()
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def servers(app, world, request):
    """Two gunicorn processes of the app on the test database, sharing the rate-limit store given."""
    db.session.remove()
    started = []

    def start(storage_uri: str) -> list[str]:
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "SECRET_KEY": "shared-by-both-servers-" + "k" * 32, "JIEFEN_RATELIMIT_STORAGE_URI": storage_uri,
               "JIEFEN_DAY_COUNTING": "calendar", "JIEFEN_TRAIL_KEY": app.config["TRAIL_KEY"]}
        urls = []
        for _ in range(2):
            port = free_port()
            started.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket",
                 "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, started[-2:]):
            wait_until_serving(url, process)
        return urls

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=30)
            return
        except OSError:  # refused while it boots
            if process.poll() is not None:
                pytest.fail("gunicorn exited: " + process.stderr.read().decode())
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not start")
            time.sleep(0.2)


class Browser:
    """A resident's phone: one cookie jar, whichever server answers."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict) -> tuple[int, str]:
        return self._open(urllib.request.Request(url, data=urllib.parse.urlencode(data).encode()))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def reports_accepted(urls: list[str], plate: str, attempts: int) -> list[int]:
    phone = Browser()
    statuses = []
    for n in range(attempts):
        url = f"{urls[n % 2]}/r/{plate}"
        status, page = phone.get(url)
        assert status == 200
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        statuses.append(phone.post(url, {**REPORT, "csrf_token": csrf})[0])
    return statuses


def lookups_answered(urls: list[str], attempts: int) -> list[int]:
    phone = Browser()
    return [phone.get(f"{urls[n % 2]}/track?code=JF-ABCD-EFGH")[0] for n in range(attempts)]


@pytest.fixture
def plate(world) -> str:
    return db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))


def test_two_servers_sharing_redis_hold_the_resident_report_and_tracking_limits(servers, redis_url, plate):
    redis.Redis.from_url(redis_url).flushdb()
    urls = servers(redis_url)
    reports = reports_accepted(urls, plate, 12)
    assert reports.count(201) == 5 and reports[5:] == [429] * 7  # 5 per hour per IP
    lookups = lookups_answered(urls, 40)
    assert lookups.count(429) == 10 and 429 not in lookups[:30]  # 30 per hour per IP


def test_two_servers_counting_in_memory_each_let_the_limit_through(servers, plate):
    """What the shared store fixes: per-process counting lets twice the limit through."""
    urls = servers("memory://")
    assert reports_accepted(urls, plate, 12).count(201) == 10
