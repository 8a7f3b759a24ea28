"""The discussion page's Article section: snapshot text, earlier texts, quote fields."""

from __future__ import annotations

import pytest
from article_server import article_server, base_url, html
from factories import make_comment, make_user
from sqlalchemy import update

from rejoinder import clock
from rejoinder.fetching.models import FetchJob, JobState
from rejoinder.fetching.runner import FetchRunner

pytestmark = pytest.mark.anyio

FIRST = "The harbour reopened on Monday after three weeks of repairs to the sea wall. " * 12
HOSTILE = 'Engineers wrote &lt;img src=x onerror="alert(1)"&gt; on the wall. ' * 12


def article(text: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbour</title>'
        f"</head><body><article><h1>Harbour</h1><p>{text}</p><p>Second paragraph here, "
        "long enough to be kept by the extractor as part of the story.</p></article>"
        "</body></html>"
    )


@pytest.fixture
def settings_overrides():
    return {"fetch_allow_loopback": True, "fetch_total_timeout": 5, "fetch_max_bytes": 1_000_000}


async def discussion_html(client, url: str) -> tuple[str, str]:
    page = (await client.get("/api/v1/pages", params={"url": url})).json()
    response = await client.get(f"/p/{page['id']}")
    path = response.headers["location"]
    return path, (await client.get(path)).text


async def test_article_text_changes_and_earlier_text(app, client, settings):
    runner = FetchRunner(app.state.db, settings)
    with article_server({"/story": html(article(FIRST))}) as server:
        url = base_url(server) + "/story"
        user = await make_user(client)
        await make_comment(client, user, "First!", url=url)
        assert await runner.run_once()
        path, page = await discussion_html(client, url)
        assert "data-article-section" in page
        assert "The harbour reopened on Monday" in page
        assert 'name="quote_exact"' not in page  # no composer for anonymous readers
        assert "data-article-changed" not in page

        server.routes["/story"] = html(article(HOSTILE))
        async with app.state.db.write_session() as session:
            await session.execute(
                update(FetchJob).values(state=JobState.PENDING, next_attempt_at=clock.now())
            )
            await session.commit()
        assert await runner.run_once()

    path, page = await discussion_html(client, url)
    assert "data-article-changed" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "<img src=x" not in page
    assert "<p>Second paragraph here" in page
    listing = (await client.get(f"/api/v1/pages/{path.split('/')[2]}/snapshots")).json()
    earliest = listing["snapshots"][-1]["id"]
    assert f'href="{path}/snapshots/{earliest}"' in page

    earlier = await client.get(f"{path}/snapshots/{earliest}")
    assert earlier.status_code == 200
    assert "The harbour reopened on Monday" in earlier.text
    assert "onerror" not in earlier.text
    assert (await client.get(f"{path}/snapshots/999999")).status_code == 404
    wrong_slug = await client.get(f"/p/{path.split('/')[2]}/wrong/snapshots/{earliest}")
    assert wrong_slug.status_code == 301
    assert wrong_slug.headers["location"] == f"{path}/snapshots/{earliest}"


async def test_page_without_snapshot_has_no_article_section(client):
    user = await make_user(client)
    await make_comment(client, user, "First!", url="https://example.com/unfetched")
    _path, page = await discussion_html(client, "https://example.com/unfetched")
    assert "data-article-section" not in page
