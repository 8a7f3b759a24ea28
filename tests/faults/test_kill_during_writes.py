"""Kill -9 during a burst of comment posts: every acknowledged comment survives the restart.

A 201 is sent only after the request's transaction committed (``api/deps.py``), so a
process that dies at any instant can lose only comments nobody was told about. The test
posts from 8 connections, SIGKILLs the server's whole process group while posts are in
flight, restarts ``rejoinder serve`` on the same database and checks, on SQLite (WAL,
``synchronous=NORMAL``) and PostgreSQL:

- every acknowledged comment is there, with exactly the body it was acknowledged with;
- whatever else is there is whole: one of the bodies sent, and the page's ``comment_count``
  equals the comments a reader sees (no comment without its count, or the reverse).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import make_settings
from factories import User, make_user
from faults.servers import FAULT_SETTINGS, ServerProcess, rejoinder_serve

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/faults/kill-nine"
POSTERS = 8
# Kill once this many posts were acknowledged: enough that some are surely committed,
# early enough that the other posters are mid-request.
KILL_AFTER_ACKS = 40
MAX_POSTS_PER_POSTER = 200  # bounds the burst even if the kill did not take
WAIT = 20.0


@dataclass
class Burst:
    server: ServerProcess
    user: User
    run: str = field(default_factory=lambda: secrets.token_hex(4))
    sent: dict[str, str] = field(default_factory=dict)  # tag -> body, for every attempt
    acked: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (body, body_html)
    unexpected: list[str] = field(default_factory=list)
    killed: bool = False

    async def poster(self, http: httpx.AsyncClient, number: int) -> None:
        for n in range(MAX_POSTS_PER_POSTER):
            if self.killed:
                return
            tag = f"{self.run}-{number}-{n}"
            body = f"Burst comment {tag}: acknowledged means stored."
            self.sent[tag] = body
            try:
                response = await http.post(
                    "/api/v1/comments", json={"url": ARTICLE, "body": body}, headers=self.user.auth
                )
            except httpx.TransportError:
                return  # the server died under this request: not acknowledged
            if response.status_code != 201:
                self.unexpected.append(f"{response.status_code} {response.text[:300]}")
                return
            comment = response.json()
            # The acknowledgement must be of this very comment, not a neighbour's.
            assert tag in comment["body_html"], (tag, comment)
            self.acked[comment["id"]] = (body, comment["body_html"])
            if len(self.acked) >= KILL_AFTER_ACKS and not self.killed:
                self.killed = True
                self.server.kill()


async def test_every_acknowledged_comment_survives_kill_9(database_url: str, tmp_path: Path):
    settings = make_settings(database_url, tmp_path, **FAULT_SETTINGS)
    with rejoinder_serve(settings, tmp_path / "before-kill.log") as server:
        limits = httpx.Limits(max_connections=POSTERS, max_keepalive_connections=POSTERS)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT, limits=limits) as http:
            burst = Burst(server, await make_user(http, "burster"))
            async with asyncio.timeout(60):
                await asyncio.gather(*(burst.poster(http, number) for number in range(POSTERS)))
    assert burst.unexpected == []
    assert burst.killed, "the burst ended before the kill"
    assert len(burst.acked) >= KILL_AFTER_ACKS

    with rejoinder_serve(settings, tmp_path / "after-restart.log") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT) as http:
            for comment_id, (body, body_html) in burst.acked.items():
                response = await http.get(f"/api/v1/comments/{comment_id}")
                assert response.status_code == 200, (comment_id, body, response.text)
                assert response.json()["body_html"] == body_html
            response = await http.get("/api/v1/threads", params={"url": ARTICLE, "limit": 1000})
            assert response.status_code == 200, response.text
            thread = response.json()

    stored = {comment["id"]: comment["body_html"] for comment in thread["comments"]}
    assert set(burst.acked) <= set(stored)
    assert thread["page"]["comment_count"] == len(stored)
    bodies = set(burst.sent.values())
    for comment_id, body_html in stored.items():
        assert any(body in body_html for body in bodies), (comment_id, body_html)
    # Each attempt was stored at most once.
    tags = [tag for tag in burst.sent if any(tag + ":" in html for html in stored.values())]
    assert len(tags) == len(stored)
