"""Storing what a parser yields: pages, comments in their places, identities, records.

``Importer.run(items)`` consumes one parser's items inside the caller's transaction and
returns an ``ImportSummary``; the caller commits, or rolls back when ``ImportFailed`` (or
anything else) is raised, so a failed import leaves nothing behind.

Placement: a comment's parent is looked up by its external id, among this run's comments
and earlier imports' records. Replies to a skipped comment (spam, deleted, a pingback)
attach to its nearest kept ancestor. A reply that comes before its parent in the file is
stored at the top level and moved under its parent at the end, when every id is known.
Past ``max_depth`` a reply joins its parent's siblings, as a reply posted here would.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.comments.models import CommentStatus
from rejoinder.errors import InvalidUrl
from rejoinder.importers import queries
from rejoinder.importers.items import (
    Author,
    CommentItem,
    ImportFailed,
    Item,
    ItemError,
    Skipped,
    Source,
    ThreadItem,
)
from rejoinder.importers.models import ImportedIdentity
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import PageSnapshot
from rejoinder.pages.service import PageService, resolve
from rejoinder.settings import Settings

MAX_REPORTED_ERRORS = 100
_RECORD_BATCH = 500


@dataclass
class ImportOptions:
    keep_spam: bool = False
    keep_deleted: bool = False


@dataclass
class ImportSummary:
    source: str = ""
    comments: int = 0
    pages: int = 0
    identities: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    # Pages that received comments, by id (for links to the imported discussions).
    page_ids: list[int] = field(default_factory=list)

    def add_error(self, message: str, where: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"{where}: {message}" if where else message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "imported": {
                "comments": self.comments,
                "pages": self.pages,
                "identities": self.identities,
            },
            "skipped": dict(sorted(self.skipped.items())),
            "errors": self.errors,
            "error_count": self.error_count,
        }


@dataclass(slots=True)
class _Place:
    comment_id: int
    page_id: int
    parent_id: int | None
    root_id: int | None
    depth: int


class Importer:
    def __init__(
        self, session: AsyncSession, settings: Settings, options: ImportOptions | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.options = options or ImportOptions()
        self.pages = PageService(session, settings.max_url_length)
        self.summary = ImportSummary()
        self._source: str | None = None
        self._records: dict[str, int] = {}
        self._threads: dict[str, ThreadItem] = {}
        self._thread_pages: dict[str, int | None] = {}
        self._places: dict[str, _Place] = {}
        self._skipped_parent: dict[str, str | None] = {}
        self._identities: dict[tuple[str, str], int] = {}
        self._pending_records: list[dict[str, Any]] = []
        # (comment id, external parent id): replies seen before their parent.
        self._deferred: list[tuple[int, str]] = []
        self._parents: dict[int, int | None] = {}
        self._by_id: dict[int, _Place] = {}
        self._final: dict[int, tuple[int | None, int | None, int]] = {}
        self._claimed: dict[int, int | None] = {}
        self._touched: set[int] = set()

    async def run(self, items: AsyncIterator[Item]) -> ImportSummary:
        async for item in items:
            if isinstance(item, Source):
                await self._start(item.name)
            elif self._source is None:
                raise ImportFailed("the importer yielded items before naming its source")
            elif isinstance(item, ThreadItem):
                self._threads[item.external_id] = item
            elif isinstance(item, CommentItem):
                await self._comment(item)
            elif isinstance(item, Skipped):
                self._skip(item.external_id, item.parent_id, item.reason)
            elif isinstance(item, ItemError):
                if item.external_id is not None:
                    self._skipped_parent[item.external_id] = item.parent_id
                self.summary.skipped["error"] += 1
                self.summary.add_error(item.message, item.where)
        if self._source is None:
            raise ImportFailed("nothing to import")
        await queries.insert_records(self.session, self._pending_records)
        await self._place_deferred()
        for page_id in sorted(self._touched):
            await queries.recount_page(self.session, page_id)
        self.summary.page_ids = sorted(self._touched)
        await self.session.flush()
        return self.summary

    async def _start(self, source: str) -> None:
        if self._source is not None:
            raise ImportFailed("the importer named two sources")
        self._source = self.summary.source = source[:200]
        self._records = await queries.list_records(self.session, self._source)

    def _skip(self, external_id: str, parent_id: str | None, reason: str) -> None:
        self._skipped_parent[external_id] = parent_id
        self.summary.skipped[reason] += 1

    async def _comment(self, item: CommentItem) -> None:
        if item.external_id in self._records or item.external_id in self._places:
            self.summary.skipped["already imported"] += 1
            return
        if item.status is CommentStatus.SPAM and not self.options.keep_spam:
            self._skip(item.external_id, item.parent_id, "spam")
            return
        if item.deleted and not self.options.keep_deleted:
            self._skip(item.external_id, item.parent_id, "deleted")
            return
        page_id = await self._page_for(item.thread_id)
        if page_id is None:
            self._skip(item.external_id, item.parent_id, "thread unknown or unusable")
            return
        parent = await self._parent_place(item.parent_id, page_id)
        deferred = item.parent_id is not None and parent is None and self._is_unseen(item)
        if parent is not None and parent.depth >= self.settings.max_depth:
            # Past the depth limit a reply joins its parent's siblings.
            grand = parent.parent_id
            parent = (
                (self._by_id.get(grand) if grand else None)
                or await self._earlier_id(grand, page_id)
                or parent
            )
        identity_id, account_id = await self._identity(item.author)
        now = clock.now()
        deleted_at = (item.deleted_at or now) if item.deleted else None
        comment_id = await queries.insert_comment(
            self.session,
            {
                "page_id": page_id,
                "parent_id": parent.comment_id if parent else None,
                "root_id": (parent.root_id or parent.comment_id) if parent else None,
                "depth": parent.depth + 1 if parent else 0,
                "author_id": account_id,
                "guest_name": None if account_id else item.author.name,
                "identity_id": identity_id,
                # A deleted comment keeps its place for its replies, not its text (as here).
                "body_src": "" if deleted_at else item.body_src,
                "body_html": "" if deleted_at else item.body_html,
                "body_text": "" if deleted_at else item.body_text,
                "status": item.status,
                "nsfw": item.nsfw,
                "is_pinned": item.is_pinned,
                "upvotes": item.upvotes,
                "downvotes": item.downvotes,
                "score": item.score,
                "controversy": item.controversy,
                "created_at": item.created_at,
                "edited_at": item.edited_at,
                "deleted_at": deleted_at,
                "quote": item.quote,
            },
        )
        place = _Place(
            comment_id,
            page_id,
            parent.comment_id if parent else None,
            (parent.root_id or parent.comment_id) if parent else None,
            parent.depth + 1 if parent else 0,
        )
        self._places[item.external_id] = place
        self._by_id[comment_id] = place
        self._parents[comment_id] = place.parent_id
        self._touched.add(page_id)
        if deferred:
            assert item.parent_id is not None
            self._deferred.append((comment_id, item.parent_id))
        self._pending_records.append(
            {
                "source": self._source,
                "external_id": item.external_id[:300],
                "comment_id": comment_id,
                "created_at": now,
            }
        )
        if len(self._pending_records) >= _RECORD_BATCH:
            await queries.insert_records(self.session, self._pending_records)
            self._pending_records = []
        self.summary.comments += 1

    def _is_unseen(self, item: CommentItem) -> bool:
        parent_id = item.parent_id
        return parent_id is not None and parent_id not in self._skipped_parent

    async def _parent_place(self, parent_id: str | None, page_id: int) -> _Place | None:
        """The nearest kept ancestor, following skipped comments up; None at the top."""
        hops = 0
        while parent_id is not None and hops < 10_000:
            hops += 1
            if parent_id in self._places:
                place = self._places[parent_id]
                return place if place.page_id == page_id else None
            if parent_id in self._records:
                return await self._earlier(parent_id, page_id)
            if parent_id not in self._skipped_parent:
                return None
            parent_id = self._skipped_parent[parent_id]
        return None

    async def _earlier(self, external_id: str, page_id: int) -> _Place | None:
        place = await self._earlier_id(self._records[external_id], page_id)
        if place is not None:
            self._places[external_id] = place
        return place

    async def _earlier_id(self, comment_id: int | None, page_id: int) -> _Place | None:
        """An earlier import's comment on this page (its parent is not needed below)."""
        if comment_id is None:
            return None
        found = await queries.get_place(self.session, comment_id)
        if found is None or found[0] != page_id:
            return None
        return _Place(comment_id, found[0], found[3], found[1], found[2])

    async def _page_for(self, thread_id: str) -> int | None:
        if thread_id in self._thread_pages:
            return self._thread_pages[thread_id]
        thread = self._threads.get(thread_id)
        page_id: int | None = None
        if thread is None:
            self.summary.add_error(f"no thread {thread_id!r} in the file", "")
        else:
            try:
                page_id = await self._create_page(thread)
            except InvalidUrl as exc:
                self.summary.add_error(f"address {thread.url[:200]!r}: {exc.detail}", thread.where)
        self._thread_pages[thread_id] = page_id
        return page_id

    async def _create_page(self, thread: ThreadItem) -> int:
        ref = self.pages.resolve(thread.url)
        existing = await self.pages.find(ref)
        page = existing or await self.pages.get_or_create(ref)
        if existing is None:
            self.summary.pages += 1
        values: dict[str, object] = {}
        if thread.title and not page.title:
            values["title"] = thread.title
        if thread.is_locked and not page.is_locked:
            values["is_locked"] = True
        if thread.is_closed and not page.is_closed:
            values["is_closed"] = True
        if thread.created_at is not None and existing is None:
            values["created_at"] = thread.created_at
        if values:
            await queries.update_page(self.session, page.id, **values)
        for alias in thread.aliases:
            await self._add_alias(page.id, alias, thread.where)
        if thread.article and existing is None:
            await self._add_article(page.id, thread)
        return page.id

    async def _add_alias(self, page_id: int, raw: str, where: str) -> None:
        try:
            ref = resolve(raw, self.settings.max_url_length)
        except InvalidUrl as exc:
            self.summary.add_error(f"alias {raw[:200]!r}: {exc.detail}", where)
            return
        owner = await queries.get_alias_page(self.session, ref.digest)
        if owner is None:
            await queries.insert_alias(self.session, page_id, ref.key, ref.digest, clock.now())
        elif owner != page_id:
            self.summary.add_error(f"alias {ref.key!r} already leads to another page", where)

    async def _add_article(self, page_id: int, thread: ThreadItem) -> None:
        assert thread.article is not None
        text = thread.article
        await page_queries.insert_snapshot(
            self.session,
            PageSnapshot(
                page_id=page_id,
                fetched_at=clock.now(),
                title=thread.title,
                text=text,
                sha256=hashlib.sha256(text.encode()).hexdigest(),
                length=len(text),
            ),
        )

    async def _identity(self, author: Author) -> tuple[int | None, int | None]:
        """(identity id, account id): the account when claimed, or named by rejoinder-json."""
        assert self._source is not None
        account_id: int | None = None
        if author.account:
            account_id = await queries.get_account_id(self.session, author.account)
            if account_id is not None:
                return None, account_id
        source = (author.source or self._source)[:200]
        key = author.external_key[:300]
        if (source, key) in self._identities:
            cached = self._identities[source, key]
            return cached, self._claimed.get(cached)
        identity = await queries.get_identity(self.session, source, key)
        if identity is None:
            identity = await queries.insert_identity(
                self.session,
                ImportedIdentity(
                    source=source,
                    external_key=key,
                    name=author.name,
                    email_hash=author.email_hash,
                    created_at=clock.now(),
                ),
            )
            self.summary.identities += 1
        self._identities[source, key] = identity.id
        self._claimed[identity.id] = identity.account_id
        return identity.id, identity.account_id

    async def _place_deferred(self) -> None:
        """Move replies that came before their parents under them, and fix their subtrees."""
        if not self._deferred:
            return
        for comment_id, parent_external in self._deferred:
            child = self._by_id[comment_id]
            parent = await self._parent_place(parent_external, child.page_id)
            if parent is None:
                self.summary.add_error(
                    f"the parent {parent_external!r} of an imported comment is not in the "
                    "file; the comment is kept at the top level",
                    "",
                )
                continue
            self._parents[comment_id] = parent.comment_id
        changes = []
        for comment_id, place in self._by_id.items():
            parent_id, root_id, depth = self._final_place(comment_id)
            if (place.parent_id, place.root_id, place.depth) != (parent_id, root_id, depth):
                changes.append(
                    {"id": comment_id, "parent_id": parent_id, "root_id": root_id, "depth": depth}
                )
        await queries.update_places(self.session, changes)

    def _final_place(self, comment_id: int) -> tuple[int | None, int | None, int]:
        """(parent, root, depth) once every parent is known; loops end at the top level."""
        chain: list[int] = []
        seen: set[int] = set()
        current: int | None = comment_id
        # Walk up to a comment already placed, one from an earlier import, or the top.
        while current is not None and current in self._by_id and current not in self._final:
            if current in seen:
                self._parents[current] = None  # a loop of replies: cut it here
                break
            seen.add(current)
            chain.append(current)
            current = self._parents.get(current)
        for node in reversed(chain):
            parent_id = self._parents.get(node)
            if parent_id is None:
                self._final[node] = (None, None, 0)
            elif parent_id in self._final:
                grand, root, depth = self._final[parent_id]
                if depth >= self.settings.max_depth and grand is not None:
                    self._final[node] = (grand, root, depth)
                else:
                    self._final[node] = (parent_id, root or parent_id, depth + 1)
            else:
                # The parent is an earlier import's comment: placed correctly on insert.
                place = self._by_id[node]
                self._final[node] = (place.parent_id, place.root_id, place.depth)
        return self._final[comment_id]
