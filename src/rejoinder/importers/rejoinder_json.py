"""Rejoinder's own export (``exports/rejoinder_json.py``) read back: JSON Lines, one record each.

The first line is the header (``{"format": "rejoinder-json", "version": 1, ...}``), then a
``page`` record before that page's ``comment`` records, parents before replies. Each line is
validated by a strict schema; a line that does not fit fails the import with its number. The
HTML is sanitized again on the way in: a file is hostile even when it claims to be ours.

Authors: a comment by an account is attached to the account of the same username when there
is one here, otherwise to an imported identity (``account:<username>``) it can claim later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from rejoinder.comments.models import CommentStatus
from rejoinder.comments.render import render_html_fragment
from rejoinder.importers.dates import check_range
from rejoinder.importers.items import (
    MAX_MESSAGE_CHARS,
    Author,
    CommentItem,
    ImportFailed,
    Item,
    Source,
    ThreadItem,
    clean_name,
)

FORMAT = "rejoinder-json"
VERSION = 1
MAX_LINE_BYTES = 8 * MAX_MESSAGE_CHARS

Url = Annotated[str, StringConstraints(min_length=1, max_length=8192)]
Short = Annotated[str, StringConstraints(max_length=300)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=MAX_MESSAGE_CHARS)


class Header(_Strict):
    format: Literal["rejoinder-json"]
    version: Literal[1]
    instance: Url
    exported_at: datetime
    scope: Short = ""


class PageRecord(_Strict):
    type: Literal["page"]
    id: int = Field(gt=0)
    url: Url
    key: Url
    title: Annotated[str | None, StringConstraints(max_length=500)] = None
    aliases: list[Url] = Field(default_factory=list, max_length=1000)
    is_locked: bool = False
    is_closed: bool = False
    created_at: datetime


class IdentityRecord(_Strict):
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    external_key: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    email_hash: Annotated[str | None, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = None


class AuthorRecord(_Strict):
    name: Annotated[str, StringConstraints(max_length=64)]
    account: Annotated[str | None, StringConstraints(max_length=32)] = None
    identity: IdentityRecord | None = None


class QuoteRecord(_Strict):
    type: Literal["TextQuoteSelector"]
    exact: Annotated[str, StringConstraints(max_length=2000)]
    prefix: Annotated[str, StringConstraints(max_length=200)] = ""
    suffix: Annotated[str, StringConstraints(max_length=200)] = ""


class CommentRecord(_Strict):
    type: Literal["comment"]
    id: int = Field(gt=0)
    page_id: int = Field(gt=0)
    parent_id: int | None = Field(default=None, gt=0)
    author: AuthorRecord
    body_src: str
    body_html: str
    status: CommentStatus
    nsfw: bool = False
    is_pinned: bool = False
    upvotes: int = Field(default=0, ge=0, le=2**31 - 1)
    downvotes: int = Field(default=0, ge=0, le=2**31 - 1)
    score: int = Field(default=0, ge=-(2**31), le=2**31 - 1)
    controversy: float = Field(default=0.0, ge=0, le=1e12)
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    quote: QuoteRecord | None = None


def parse(stream: Any, progress: Callable[[int], None] | None = None) -> Iterator[Item]:
    header: Header | None = None
    pages: dict[int, str] = {}
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            break
        number += 1
        where = f"line {number}"
        if progress is not None:
            progress(len(raw))
        if len(raw) > MAX_LINE_BYTES:
            raise ImportFailed(f"a line longer than {MAX_LINE_BYTES:,} bytes", where)
        if not raw.strip():
            continue
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ImportFailed(f"not JSON ({exc})", where) from None
        if header is None:
            header = _validate(Header, data, where)
            yield Source(f"{FORMAT}:{urlsplit(header.instance).netloc or header.instance}"[:200])
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "page":
            page = _validate(PageRecord, data, where)
            pages[page.id] = page.url
            yield ThreadItem(
                external_id=str(page.id),
                url=page.url,
                title=page.title,
                where=where,
                aliases=tuple(page.aliases),
                is_locked=page.is_locked,
                is_closed=page.is_closed,
                created_at=_aware(page.created_at, where),
            )
        elif kind == "comment":
            yield _comment(_validate(CommentRecord, data, where), pages, where)
        else:
            raise ImportFailed(f"a record of unknown type {str(kind)[:40]!r}", where)
    if header is None:
        raise ImportFailed("the file is empty (expected a rejoinder-json header line)")


def _validate(model: type[Any], data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "record"
        raise ImportFailed(f"{field}: {first['msg']}", where) from None


def _comment(record: CommentRecord, pages: dict[int, str], where: str) -> CommentItem:
    if record.page_id not in pages:
        raise ImportFailed(f"comment {record.id} comes before its page {record.page_id}", where)
    created_at = _aware(record.created_at, where)
    edited_at = _aware(record.edited_at, where) if record.edited_at else None
    deleted_at = _aware(record.deleted_at, where) if record.deleted_at else None
    rendered = render_html_fragment(record.body_html)
    identity = record.author.identity
    name = clean_name(record.author.name)
    if identity is not None:
        author = Author(
            name,
            identity.external_key,
            identity.email_hash,
            account=record.author.account,
            source=identity.source,
        )
    elif record.author.account:
        account = record.author.account
        author = Author(name, f"account:{account.casefold()}", account=account)
    else:
        author = Author(name, f"name:{name.casefold()}")
    return CommentItem(
        external_id=str(record.id),
        thread_id=str(record.page_id),
        parent_id=str(record.parent_id) if record.parent_id else None,
        author=author,
        body_src=record.body_src,
        body_html=rendered.html,
        body_text=rendered.text,
        created_at=created_at,
        where=where,
        status=record.status,
        deleted=deleted_at is not None,
        edited_at=edited_at,
        deleted_at=deleted_at,
        nsfw=record.nsfw,
        is_pinned=record.is_pinned,
        upvotes=record.upvotes,
        downvotes=record.downvotes,
        score=record.score,
        controversy=record.controversy,
        quote=record.quote.model_dump() if record.quote else None,
    )


def _aware(moment: datetime, where: str) -> datetime:
    # Our exports always carry an offset; a naive time in a hand-edited file means UTC.
    return check_range(moment if moment.tzinfo else moment.replace(tzinfo=UTC), where)
