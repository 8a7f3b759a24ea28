"""Webhooks: admin-only configuration, signed deliveries, retries with backoff, the log, SSRF."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from factories import make_comment, make_user, promote

from rejoinder import clock
from rejoinder.webhooks import signing
from rejoinder.webhooks.worker import WebhookWorker

pytestmark = pytest.mark.anyio


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = statuses
        self.received: list[tuple[str, dict[str, str], bytes]] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, dict(self.headers.items()), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def receiver(*statuses: int) -> Iterator[_Receiver]:
    server = _Receiver(list(statuses))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _url(server: _Receiver, path: str = "/hook", host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.server_address[1]}{path}"


class FakeClock:
    def __init__(self) -> None:
        self.moment = clock.now()

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def settings_overrides():
    return {
        "fetch_allow_loopback": True,
        "webhook_max_attempts": 3,
        "webhook_retry_seconds": 30,
    }


async def _admin(app, client):
    admin = await make_user(client)
    await promote(app, admin, "admin")
    return admin


async def _hook(client, admin, url, events=("comment.created",)):
    response = await client.post(
        "/api/v1/webhooks", json={"url": url, "events": list(events)}, headers=admin.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _log(client, admin, hook_id):
    response = await client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=admin.auth)
    assert response.status_code == 200, response.text
    return response.json()


class TestConfiguration:
    async def test_admins_only(self, app, client):
        user, mod = await make_user(client), await make_user(client)
        await promote(app, mod, "moderator")
        for someone in (user, mod):
            response = await client.post(
                "/api/v1/webhooks",
                json={"url": "https://hooks.example.com/x", "events": ["comment.created"]},
                headers=someone.auth,
            )
            assert response.status_code == 403
            assert (await client.get("/api/v1/webhooks", headers=someone.auth)).status_code == 403
        assert (await client.get("/api/v1/webhooks")).status_code == 401

    async def test_secret_is_shown_once(self, app, client):
        admin = await _admin(app, client)
        hook = await _hook(
            client, admin, "https://hooks.example.com/x", ["report.created", "comment.created"]
        )
        assert hook["secret"].startswith("whsec_")
        assert hook["events"] == ["comment.created", "report.created"]
        (listed,) = (await client.get("/api/v1/webhooks", headers=admin.auth)).json()
        assert "secret" not in listed
        assert listed["url"] == "https://hooks.example.com/x"
        response = await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin.auth)
        assert response.status_code == 204
        response = await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin.auth)
        assert response.status_code == 404

    @pytest.mark.parametrize(
        "body",
        [
            {"url": "ftp://hooks.example.com/x", "events": ["comment.created"]},
            {"url": "https://user:pw@hooks.example.com/x", "events": ["comment.created"]},
            {"url": "http://10.0.0.7/x", "events": ["comment.created"]},
            {"url": "http://169.254.169.254/latest/meta-data", "events": ["comment.created"]},
            {"url": "http://[::ffff:192.168.0.1]/x", "events": ["comment.created"]},
            {"url": "https://hooks.example.com/x", "events": []},
            {"url": "https://hooks.example.com/x", "events": ["comment.deleted"]},
            {"url": "https://hooks.example.com/x"},
            {"url": "https://hooks.example.com/x", "events": ["comment.created"], "secret": "x"},
            {"url": "", "events": ["comment.created"]},
        ],
    )
    async def test_bad_hooks_are_422(self, app, client, body):
        admin = await _admin(app, client)
        response = await client.post("/api/v1/webhooks", json=body, headers=admin.auth)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


class TestDelivery:
    async def test_new_comment_is_delivered_signed(self, app, client, settings):
        admin = await _admin(app, client)
        with receiver() as server:
            hook = await _hook(client, admin, _url(server))
            ann = await make_user(client)
            comment = await make_comment(client, ann, "Hello <b>hooks</b>")
            await app.state.webhook_listener.settle()
            worker = WebhookWorker(app.state.db, settings)
            assert await worker.run_once() is True
            assert await worker.run_once() is False
        ((path, headers, body),) = server.received
        assert path == "/hook"
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Rejoinder-Event"] == "comment.created"
        timestamp = headers["X-Rejoinder-Timestamp"]
        signature = headers["X-Rejoinder-Signature"]
        now = clock.now().timestamp()
        assert signing.verify(hook["secret"], body, signature, timestamp, now)
        assert not signing.verify("whsec_wrong", body, signature, timestamp, now)
        assert not signing.verify(hook["secret"], body + b" ", signature, timestamp, now)
        assert not signing.verify(hook["secret"], body, signature, timestamp, now + 301)
        payload = json.loads(body)
        assert payload["event"] == "comment.created"
        assert payload["data"]["comment"]["id"] == comment["id"]
        assert payload["data"]["comment"]["author"] == ann.username
        assert payload["data"]["comment"]["body_text"] == "Hello <b>hooks</b>"
        assert payload["data"]["comment"]["url"] == f"http://testserver/c/{comment['id']}"
        (entry,) = await _log(client, admin, hook["id"])
        assert entry["state"] == "delivered"
        assert entry["attempts"] == 1
        assert entry["last_status"] == 200
        assert headers["X-Rejoinder-Delivery"] == str(entry["id"])

    async def test_hook_added_after_comments_gets_the_next_one(self, app, client, settings):
        # The first comment makes the listener remember "no webhooks"; adding one must make
        # it look again at once, not after the remembered answer expires.
        admin = await _admin(app, client)
        ann = await make_user(client)
        await make_comment(client, ann, "Before any hook")
        await app.state.webhook_listener.settle()
        with receiver() as server:
            hook = await _hook(client, admin, _url(server))
            after = await make_comment(client, ann, "After the hook")
            await app.state.webhook_listener.settle()
            assert await WebhookWorker(app.state.db, settings).run_once() is True
        ((_path, _headers, body),) = server.received
        assert json.loads(body)["data"]["comment"]["id"] == after["id"]
        (entry,) = await _log(client, admin, hook["id"])
        assert entry["state"] == "delivered"

    async def test_report_is_delivered_only_to_its_subscribers(self, app, client, settings):
        admin = await _admin(app, client)
        with receiver() as server:
            comments_hook = await _hook(client, admin, _url(server, "/comments"))
            reports_hook = await _hook(client, admin, _url(server, "/reports"), ["report.created"])
            ann, bob = await make_user(client), await make_user(client)
            comment = await make_comment(client, ann, "Reported")
            response = await client.post(
                f"/api/v1/comments/{comment['id']}/reports",
                json={"reason": "spam"},
                headers=bob.auth,
            )
            assert response.status_code == 201, response.text
            await app.state.webhook_listener.settle()
            worker = WebhookWorker(app.state.db, settings)
            while await worker.run_once():
                pass
        paths = sorted(path for path, _headers, _body in server.received)
        assert paths == ["/comments", "/reports"]
        report_body = next(body for path, _h, body in server.received if path == "/reports")
        payload = json.loads(report_body)
        assert payload["event"] == "report.created"
        assert payload["data"]["report"]["reason"] == "spam"
        assert payload["data"]["comment"]["id"] == comment["id"]
        assert len(await _log(client, admin, comments_hook["id"])) == 1
        assert len(await _log(client, admin, reports_hook["id"])) == 1

    async def test_failures_back_off_then_fail(self, app, client, settings):
        admin = await _admin(app, client)
        with receiver(500, 503, 502) as server:
            hook = await _hook(client, admin, _url(server))
            await make_comment(client, await make_user(client), "Hi")
            await app.state.webhook_listener.settle()
            fake = FakeClock()
            worker = WebhookWorker(app.state.db, settings, now=fake)
            assert await worker.run_once() is True  # attempt 1: 500
            (entry,) = await _log(client, admin, hook["id"])
            assert (entry["state"], entry["attempts"], entry["last_status"]) == ("pending", 1, 500)
            fake.advance(29)
            assert await worker.run_once() is False  # 30 s after the first try
            fake.advance(1)
            assert await worker.run_once() is True  # attempt 2: 503
            fake.advance(119)
            assert await worker.run_once() is False  # 30 * 4 = 120 s after the second
            fake.advance(1)
            assert await worker.run_once() is True  # attempt 3: 502, the last
            fake.advance(10_000)
            assert await worker.run_once() is False
        assert len(server.received) == 3
        (entry,) = await _log(client, admin, hook["id"])
        assert (entry["state"], entry["attempts"], entry["last_status"]) == ("failed", 3, 502)
        assert entry["last_error"] == "HTTP 502."
        assert entry["delivered_at"] is None
        # Every retry sends the same signed body.
        assert len({body for _p, _h, body in server.received}) == 1

    async def test_retry_succeeds(self, app, client, settings):
        admin = await _admin(app, client)
        with receiver(500) as server:
            hook = await _hook(client, admin, _url(server))
            await make_comment(client, await make_user(client), "Hi")
            await app.state.webhook_listener.settle()
            fake = FakeClock()
            worker = WebhookWorker(app.state.db, settings, now=fake)
            await worker.run_once()
            fake.advance(30)
            await worker.run_once()
        (entry,) = await _log(client, admin, hook["id"])
        assert (entry["state"], entry["attempts"], entry["last_status"]) == ("delivered", 2, 200)
        assert entry["last_error"] is None


class TestSsrf:
    @pytest.fixture
    def settings_overrides(self):
        return {"fetch_allow_loopback": False, "webhook_max_attempts": 1}

    async def test_loopback_is_refused_without_the_setting(self, app, client, settings):
        admin = await _admin(app, client)
        with receiver() as server:
            literal = await client.post(
                "/api/v1/webhooks",
                json={"url": _url(server), "events": ["comment.created"]},
                headers=admin.auth,
            )
            assert literal.status_code == 422
            assert "loopback" in literal.json()["detail"]
            # A name is only resolved at delivery time; then it is refused and logged.
            hook = await _hook(client, admin, _url(server, host="localhost"))
            await make_comment(client, await make_user(client), "Hi")
            await app.state.webhook_listener.settle()
            assert await WebhookWorker(app.state.db, settings).run_once() is True
        assert server.received == []
        (entry,) = await _log(client, admin, hook["id"])
        assert entry["state"] == "failed"
        assert "loopback" in entry["last_error"]


class TestAdminPage:
    async def test_admin_page_adds_lists_and_deletes(self, app, client):
        admin, user = await _admin(app, client), await make_user(client)
        client.cookies.set("rejoinder_session", user.token)
        assert (await client.get("/admin/webhooks")).status_code == 404
        client.cookies.set("rejoinder_session", admin.token)
        page = await client.get("/admin/webhooks")
        assert page.status_code == 200
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        added = await client.post(
            "/admin/webhooks",
            data={
                "csrf_token": csrf,
                "url": "https://hooks.example.com/<x>",
                "comment_created": "on",
            },
        )
        assert added.status_code == 200, added.text
        assert "whsec_" in added.text
        assert "https://hooks.example.com/%3Cx%3E" in added.text
        none_ticked = await client.post(
            "/admin/webhooks", data={"csrf_token": csrf, "url": "https://hooks.example.com/y"}
        )
        assert none_ticked.status_code == 422
        assert "Choose at least one event." in none_ticked.text
        (hook,) = (await client.get("/api/v1/webhooks", headers=admin.auth)).json()
        deleted = await client.post(
            f"/admin/webhooks/{hook['id']}/delete", data={"csrf_token": csrf}
        )
        assert deleted.status_code == 303
        assert (await client.get("/api/v1/webhooks", headers=admin.auth)).json() == []


def test_signature_covers_timestamp_and_body():
    secret = signing.new_secret()
    body = b'{"event":"comment.created"}'
    signature = signing.sign(secret, 1_795_430_400, body)
    assert signature.startswith("sha256=")
    assert signing.verify(secret, body, signature, "1795430400", 1_795_430_400)
    assert not signing.verify(secret, body, signature, "1795430401", 1_795_430_401)
    assert not signing.verify(secret, body, signature, "-1795430400", 1_795_430_400)
    assert not signing.verify(secret, body, "sha256=" + "0" * 64, "1795430400", 1_795_430_400)
