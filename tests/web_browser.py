"""A browser-like helper for the HTML tests: session cookies, CSRF tokens, form posts."""

from __future__ import annotations

import re
from typing import Any

import httpx
from factories import PASSWORD, User

from rejoinder.comments.models import Comment, CommentStatus

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ARTICLE = "https://example.com/2026/11/story"


async def sign_in(client: httpx.AsyncClient, user: User) -> None:
    """Log the client in through the login form, as a person would (in a fresh browser)."""
    client.cookies.clear()
    token = await csrf(client, "/login")
    response = await client.post(
        "/login",
        data={"csrf_token": token, "username": user.username, "password": PASSWORD, "next": "/"},
    )
    assert response.status_code == 303, response.text


async def csrf(client: httpx.AsyncClient, path: str | None = None) -> str:
    """The CSRF token of this browser, from a page with a form."""
    if path is None:
        path = "/settings" if client.cookies.get("rejoinder_session") else "/login"
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    match = CSRF_RE.search(response.text)
    assert match, f"no form on {path}"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], token: str | None = None
) -> httpx.Response:
    token = token if token is not None else await csrf(client)
    return await client.post(path, data={"csrf_token": token, **data})


async def open_discussion(client: httpx.AsyncClient, url: str = ARTICLE) -> str:
    """``/d?url=`` -> the discussion's permalink path."""
    response = await client.get("/d", params={"url": url})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def set_status(app: Any, comment_id: int, status: CommentStatus) -> None:
    """Moderation is tested elsewhere; these tests only need a comment in a given state."""
    from sqlalchemy import update

    async with app.state.db.write_session() as session:
        await session.execute(update(Comment).where(Comment.id == comment_id).values(status=status))
        await session.commit()


async def count_comments(app: Any) -> int:
    from sqlalchemy import func, select

    async with app.state.db.read_session() as session:
        return int((await session.execute(select(func.count(Comment.id)))).scalar_one())


async def other_user(client: httpx.AsyncClient, username: str | None = None) -> User:
    """Register someone else without signing this browser out (``make_user`` clears cookies)."""
    from factories import make_user

    saved = dict(client.cookies.items())
    user = await make_user(client, username)
    for name, value in saved.items():
        client.cookies.set(name, value)
    return user
