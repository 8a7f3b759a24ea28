"""Feeds of a discussion, a person, the front page and a reader's replies, as `atom.Feed`.

Feeds show what an anonymous reader may see (visible comments only, never pending ones),
except the replies feed, which is the reader's own inbox behind a secret URL; it quotes only
comments that are public. Links are built from ``settings.public_url``.
"""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import Comment
from rejoinder.errors import NotFound
from rejoinder.feeds import queries
from rejoinder.feeds.atom import Entry, Feed, tag_uri
from rejoinder.notifications.service import NotificationService
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.permalinks import page_path
from rejoinder.settings import Settings

FEED_SIZE = 50


def _page_title(page: Page) -> str:
    return page.title or page.key


class FeedService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.base = settings.public_url

    def _comment_entry(self, comment: Comment, author: str | None, title: str) -> Entry:
        return Entry(
            id=tag_uri(self.base, f"comment/{comment.id}"),
            title=title,
            link=f"{self.base}/c/{comment.id}",
            updated=comment.edited_at or comment.created_at,
            published=comment.created_at,
            author=author or "[deleted]",
            content_html=comment.body_html,
        )

    async def page_feed(self, page_id: int) -> Feed:
        page = await page_queries.get_page(self.session, page_id)
        if page is None:
            raise NotFound(f"No discussion with id {page_id}.")
        rows = await queries.list_page_comments(self.session, page.id, FEED_SIZE)
        title = _page_title(page)
        entries = [
            self._comment_entry(c, author, f"{author or '[deleted]'} on {title}")
            for c, author in rows
        ]
        return Feed(
            id=tag_uri(self.base, f"page/{page.id}"),
            title=f"Comments on {title}",
            self_url=f"{self.base}/feeds/pages/{page.id}.atom",
            alternate_url=self.base + page_path(page),
            updated=max((e.updated for e in entries), default=page.created_at),
            entries=entries,
        )

    async def user_feed(self, username: str) -> Feed:
        account = await account_queries.get_account_by_username(self.session, username)
        if account is None or account.deleted_at is not None:
            raise NotFound(f"Nobody is called {username!r} here.")
        rows = await comment_queries.list_by_author(self.session, account.id, FEED_SIZE)
        entries = [
            self._comment_entry(c, account.username, f"On {_page_title(page)}") for c, page in rows
        ]
        return Feed(
            id=tag_uri(self.base, f"user/{account.id}"),
            title=f"Comments by {account.username}",
            self_url=f"{self.base}/u/{account.username}/feed.atom",
            alternate_url=f"{self.base}/u/{account.username}",
            updated=max((e.updated for e in entries), default=account.created_at),
            entries=entries,
        )

    async def front_feed(self) -> Feed:
        rows = await queries.list_new_submissions(self.session, FEED_SIZE)
        entries = []
        for sub, page, author in rows:
            link = self.base + page_path(page)
            # Plain text in; the XML serializer escapes it, and readers show it as HTML.
            summary = page.description or page.url
            entries.append(
                Entry(
                    id=tag_uri(self.base, f"submission/{sub.id}"),
                    title=sub.title,
                    link=link,
                    updated=sub.created_at,
                    published=sub.created_at,
                    author=author or "[deleted]",
                    content_html=_paragraph(summary),
                )
            )
        return Feed(
            id=tag_uri(self.base, "front"),
            title="Rejoinder: new links",
            self_url=f"{self.base}/feed.atom",
            alternate_url=f"{self.base}/?sort=new",
            updated=max((e.updated for e in entries), default=clock.now()),
            entries=entries,
        )

    async def replies_feed(self, reader: Account, secret_url: str) -> Feed:
        items = await NotificationService(self.session).replies(reader, FEED_SIZE)
        entries = [
            Entry(
                id=tag_uri(self.base, f"notification/{item.id}"),
                title=item.summary + (f" on {item.page_title}" if item.page_title else ""),
                link=f"{self.base}/c/{item.comment_id}"
                if item.comment_id
                else f"{self.base}/notifications",
                updated=item.created_at,
                author=item.actor or "[deleted]",
                content_html=_paragraph(item.snippet) if item.snippet else "",
            )
            for item in items
        ]
        return Feed(
            id=tag_uri(self.base, f"replies/{reader.id}"),
            title=f"Replies to {reader.username}",
            self_url=secret_url,
            alternate_url=f"{self.base}/notifications",
            updated=max((e.updated for e in entries), default=reader.created_at),
            entries=entries,
        )


def _paragraph(text: str) -> str:
    """Plain text as an HTML paragraph (the feed's content type is html)."""
    return str(Markup("<p>{}</p>").format(text))
