"""Rate limits on posting, voting and reporting: per account, per address, across workers."""

from __future__ import annotations

import anyio
import httpx
import pytest
from conftest import REDIS_URL
from factories import make_comment, make_user

from rejoinder.app import create_app

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/limits"


async def try_post(client, user, body="x", url=ARTICLE):
    return await client.post("/api/v1/comments", json={"body": body, "url": url}, headers=user.auth)


class TestPerAccountAndAddress:
    @pytest.fixture
    def settings_overrides(self):
        return {"comment_rate": "3/3600", "vote_rate": "2/3600", "report_rate": "1/3600"}

    async def test_posting_is_limited_with_retry_after(self, client):
        alice = await make_user(client)
        for n in range(3):
            assert (await try_post(client, alice, f"c{n}")).status_code == 201
        refused = await try_post(client, alice, "one too many")
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate-limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 1200
        assert refused.json()["retry_after"] == int(refused.headers["retry-after"])

    async def test_one_address_shares_a_bucket_across_accounts(self, client):
        alice, bob = await make_user(client), await make_user(client)
        assert (await try_post(client, alice)).status_code == 201
        assert (await try_post(client, alice)).status_code == 201
        assert (await try_post(client, bob)).status_code == 201
        assert (await try_post(client, bob)).status_code == 429

    async def test_votes_and_reports_are_limited(self, client):
        author, voter = await make_user(client), await make_user(client)
        ids = [(await make_comment(client, author, f"c{n}", url=ARTICLE))["id"] for n in range(3)]
        statuses = [
            (
                await client.put(
                    f"/api/v1/comments/{comment_id}/vote", json={"value": 1}, headers=voter.auth
                )
            ).status_code
            for comment_id in ids
        ]
        assert statuses == [200, 200, 429]
        reports = [
            (
                await client.post(
                    f"/api/v1/comments/{comment_id}/reports",
                    json={"reason": "spam"},
                    headers=voter.auth,
                )
            ).status_code
            for comment_id in ids[:2]
        ]
        assert reports == [201, 429]


class TestConcurrentBurst:
    LIMIT = 5

    @pytest.fixture
    def settings_overrides(self):
        return {"comment_rate": f"{self.LIMIT}/3600"}

    async def test_burst_cannot_slip_past_the_limit(self, client):
        alice = await make_user(client)
        statuses: list[int] = []

        async def one(n: int) -> None:
            statuses.append((await try_post(client, alice, f"burst {n}")).status_code)

        async with anyio.create_task_group() as group:
            for n in range(self.LIMIT + 5):
                group.start_soon(one, n)
        assert sorted(statuses) == [201] * self.LIMIT + [429] * 5


class TestAcrossWorkers:
    """Two app instances (as two workers would be) share one limit through Redis."""

    LIMIT = 4

    @pytest.fixture
    def settings_overrides(self, redis_prefix):
        return {
            "redis_url": REDIS_URL,
            "redis_prefix": redis_prefix,
            "comment_rate": f"{self.LIMIT}/3600",
        }

    @pytest.fixture
    async def second_client(self, settings):
        other = create_app(settings)
        async with other.router.lifespan_context(other):
            transport = httpx.ASGITransport(app=other, client=("203.0.113.10", 50001))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http

    async def test_limit_holds_across_two_apps(self, client, second_client):
        alice = await make_user(client)
        clients = [client, second_client] * self.LIMIT
        statuses = [(await try_post(c, alice, f"n{i}")).status_code for i, c in enumerate(clients)]
        assert statuses == [201] * self.LIMIT + [429] * self.LIMIT

    async def test_concurrent_burst_across_two_apps(self, client, second_client):
        alice = await make_user(client)
        statuses: list[int] = []

        async def one(http: httpx.AsyncClient, n: int) -> None:
            response = await try_post(http, alice, f"burst {n}")
            statuses.append(response.status_code)

        async with anyio.create_task_group() as group:
            for n in range(self.LIMIT + 5):
                group.start_soon(one, (client, second_client)[n % 2], n)
        assert sorted(statuses) == [201] * self.LIMIT + [429] * 5
