"""Batch comment counts: every spelling of a page counts the same, in one statement or none."""

from __future__ import annotations

import pytest
from factories import counting_statements, make_comment, make_user

pytestmark = pytest.mark.anyio


async def test_every_spelling_counts_the_page(client):
    alice = await make_user(client)
    await make_comment(client, alice, url="https://news.example/2024/story")
    await make_comment(client, alice, url="https://news.example/2024/story")
    urls = [
        "https://news.example/2024/story",  # normal form: the fast path
        "http://www.news.example/2024/story/index.html?utm_source=x#top",  # the full parse
        "HTTPS://NEWS.EXAMPLE/2024/./story/",
        "https://news.example/2024/Story",  # another page
        "https://news.example/2024/story",  # repeated: one key in the answer
    ]
    response = await client.post("/api/v1/counts", json={"urls": urls})
    assert response.json() == {"counts": {**dict.fromkeys(urls[:3], 2), urls[3]: 0}}


@pytest.mark.parametrize("urls", [[], ["javascript:void(0)", "https://user@a.example/", " "]])
async def test_nothing_to_look_up_runs_no_statement(client, app, urls):
    with counting_statements(app) as statements:
        response = await client.post("/api/v1/counts", json={"urls": urls})
    assert response.status_code == 200
    assert response.json() == {"counts": dict.fromkeys(urls, 0)}
    assert statements == []
