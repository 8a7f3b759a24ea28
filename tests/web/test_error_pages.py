"""Error pages: every path outside /api/ gets readable HTML; the API keeps problem+json."""

from __future__ import annotations

import httpx
import pytest
from factories import make_user
from web_browser import csrf

from rejoinder.errors import Forbidden

pytestmark = pytest.mark.anyio


def is_html(response: httpx.Response) -> bool:
    return response.headers["content-type"].startswith("text/html")


class TestHtmlErrors:
    async def test_unknown_path_is_a_404_page(self, client):
        response = await client.get("/no/such/page")
        assert response.status_code == 404
        assert is_html(response)
        assert "Not found" in response.text
        assert "Content-Security-Policy" in response.headers
        assert '<main id="main"' in response.text

    async def test_api_paths_keep_problem_json(self, client):
        response = await client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_bad_path_parameter_is_a_422_page(self, client):
        response = await client.get("/c/not-a-number")
        assert response.status_code == 422
        assert is_html(response)

    async def test_path_in_error_page_is_escaped(self, client):
        response = await client.get("/<script>alert(1)</script>")
        assert response.status_code == 404
        assert "<script>alert(1)" not in response.text

    async def test_method_not_allowed_is_html(self, client):
        response = await client.put("/login")
        assert response.status_code == 405
        assert is_html(response)


class TestRateLimitPage:
    @pytest.fixture
    def settings_overrides(self):
        return {"login_rate": "2/3600"}

    async def test_429_page_says_when_to_try_again(self, client):
        await make_user(client, "ivan")  # takes one login token
        token = await csrf(client, "/login")
        data = {"csrf_token": token, "username": "ivan", "password": "wrong password"}
        assert (await client.post("/login", data=data)).status_code == 401
        response = await client.post("/login", data=data)
        assert response.status_code == 429
        assert is_html(response)
        retry = int(response.headers["retry-after"])
        assert retry > 1
        assert f"try again in {retry:,} seconds" in response.text


class TestForbiddenAndServerError:
    @pytest.fixture
    async def app(self, settings):
        from rejoinder.app import create_app

        application = create_app(settings)

        async def boom() -> None:
            raise RuntimeError("kaboom")

        async def refuse() -> None:
            raise Forbidden("Not for you.")

        application.add_api_route("/boom", boom)
        application.add_api_route("/refuse", refuse)
        async with application.router.lifespan_context(application):
            yield application

    async def test_403_page(self, client):
        response = await client.get("/refuse")
        assert response.status_code == 403
        assert is_html(response)
        assert "Not for you." in response.text

    async def test_500_page_with_request_id(self, app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/boom")
        assert response.status_code == 500
        assert is_html(response)
        assert "Something went wrong on our side" in response.text
        assert "kaboom" not in response.text
