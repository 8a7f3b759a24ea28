"""Sharing a link, listing the front page and voting on links: the rules.

One submission per page: a URL whose key already has a submission leads to the existing
discussion (``AlreadySubmitted``, a 409 carrying its page id). A submission and its optional
first comment are written together or not at all. Votes follow ``votes/service.py``: the
submission row is locked first (``FOR UPDATE``; SQLite's write transactions are serial), the
tallies are incremented in place, and ``hot`` is recomputed inside the same transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.comments.service import CommentService
from rejoinder.errors import Conflict, Forbidden, InvalidInput, NotFound
from rejoinder.moderation.gate import ModerationGate
from rejoinder.pages.models import Page
from rejoinder.pages.permalinks import page_path
from rejoinder.pages.service import PageRef, PageService
from rejoinder.settings import Settings
from rejoinder.submissions import queries, ranking
from rejoinder.submissions.models import Submission, SubmissionVote
from rejoinder.submissions.schemas import MAX_TITLE
from rejoinder.votes.tally import change_vote

# Bidirectional overrides and isolates can make a title display as something else
# ("gnp.exe" shown as "exe.png"); they have no business in a one-line title.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | frozenset(
    "\u2066\u2067\u2068\u2069"
)


class AlreadySubmitted(Conflict):
    code = "already-submitted"
    title = "Already submitted"

    def __init__(self, page_id: int, submission_id: int, path: str) -> None:
        super().__init__("This page was already shared; join the existing discussion.")
        self.page_id = page_id
        self.submission_id = submission_id
        self.path = path

    def extra(self) -> dict[str, Any]:
        return {
            "page_id": self.page_id,
            "submission_id": self.submission_id,
            "discussion_path": self.path,
        }


def clean_title(raw: str) -> str:
    """One line of text: control and bidi characters dropped, whitespace runs made one space."""
    kept = "".join(
        " " if char.isspace() else char
        for char in raw
        if char.isspace() or (unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS)
    )
    return " ".join(kept.split())


def check_title(raw: str) -> str:
    title = clean_title(raw)
    if not title:
        raise InvalidInput(
            "A shared link needs a title.",
            [{"field": "title", "reason": "empty", "message": "Give the link a title."}],
        )
    if len(title) > MAX_TITLE:
        raise InvalidInput(
            f"Titles are limited to {MAX_TITLE} characters; this one has {len(title):,}.",
            [
                {
                    "field": "title",
                    "reason": "too_long",
                    "message": f"At most {MAX_TITLE} characters.",
                }
            ],
        )
    return title


def site_of(url: str) -> str:
    """``https://www.example.com:8080/a`` -> ``example.com``: what the front page shows."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


@dataclass(frozen=True, slots=True)
class Listing:
    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Prefill:
    """What the submit form knows about a URL before it is submitted."""

    ref: PageRef
    page: Page | None
    submission: Submission | None


def submission_out(row: queries.Row, my_vote: int = 0) -> dict[str, Any]:
    submission, page = row.submission, row.page
    return {
        "id": submission.id,
        "page_id": page.id,
        "title": submission.title,
        "url": page.url,
        "site": site_of(page.url),
        "discussion_path": page_path(page),
        "submitter": {"name": row.submitter} if row.submitter is not None else None,
        "points": submission.points,
        "upvotes": submission.upvotes,
        "downvotes": submission.downvotes,
        "comment_count": page.comment_count,
        "created_at": submission.created_at,
        "active_at": submission.active_at,
        "my_vote": my_vote,
    }


class SubmissionService:
    def __init__(
        self, session: AsyncSession, settings: Settings, moderation: ModerationGate | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.pages = PageService(session, settings.max_url_length)
        # Front doors pass the request's gate so rate limits apply to the first comment and
        # to votes; without one (scripts) bans and page controls still apply.
        self.moderation = moderation

    async def prefill(self, url: str) -> Prefill:
        """The page a URL leads to (for its known title) and its submission, if any."""
        ref = self.pages.resolve(url)
        page = await self.pages.find(ref)
        submission = await queries.get_submission_by_page(self.session, page.id) if page else None
        return Prefill(ref, page, submission)

    async def submit(
        self, *, url: str, title: str, body: str | None, submitter: Account
    ) -> tuple[Submission, Page]:
        """Share a link, with an optional first comment; both are stored or neither is.

        Raises:
            AlreadySubmitted: the page was shared before (carries the existing page id).
            InvalidInput: bad URL, title or comment.
        """
        title = check_title(title)
        ref = self.pages.resolve(url)
        # A savepoint: a failing first comment (or a lost race) undoes the page and the
        # submission too, even where the caller goes on to commit (the HTML form does).
        try:
            async with self.session.begin_nested():
                return await self._submit(ref, title, body, submitter)
        except IntegrityError:
            # Another reader shared the same page at the same moment: theirs stands.
            page = await self.pages.find(ref)
            existing = await queries.get_submission_by_page(self.session, page.id) if page else None
            if page is None or existing is None:
                raise
            raise AlreadySubmitted(page.id, existing.id, page_path(page)) from None

    async def _submit(
        self, ref: PageRef, title: str, body: str | None, submitter: Account
    ) -> tuple[Submission, Page]:
        page = await self.pages.get_or_create(ref)
        existing = await queries.get_submission_by_page(self.session, page.id)
        if existing is not None:
            raise AlreadySubmitted(page.id, existing.id, page_path(page))
        now = clock.now()
        submission = Submission(
            page_id=page.id,
            account_id=submitter.id,
            title=title,
            upvotes=0,
            downvotes=0,
            points=0,
            hot=ranking.hot(0, now),
            created_at=now,
            active_at=now,
        )
        await queries.insert_submission(self.session, submission)
        if not page.title:
            # The submitter's title is the best one known until the page is fetched.
            page.title = title
            await self.session.flush()
        if body is not None:
            await CommentService(self.session, self.settings, self.moderation).post(
                body=body, author=submitter, url=page.url
            )
            await self.session.refresh(page)
            await self.session.refresh(submission)
        return submission, page

    async def row(
        self, submission: Submission, page: Page, viewer: Account | None
    ) -> dict[str, Any]:
        """One submission as the API shows it."""
        submitter = (
            await self.session.get(Account, submission.account_id)
            if submission.account_id
            else None
        )
        my_vote = 0
        if viewer is not None:
            vote = await queries.get_vote(self.session, submission.id, viewer.id)
            my_vote = vote.value if vote else 0
        name = submitter.username if submitter is not None else None
        return submission_out(queries.Row(submission, page, name), my_vote)

    async def front_page(
        self,
        *,
        sort: ranking.Sort,
        period: ranking.Period = ranking.Period.ALL,
        cursor: str | None = None,
        limit: int = 30,
        viewer: Account | None = None,
    ) -> Listing:
        """One page of the front page; ``period`` applies to ``top`` only."""
        if sort is not ranking.Sort.TOP:
            period = ranking.Period.ALL
        after = ranking.decode_cursor(sort, period, cursor) if cursor else None
        rows = await queries.list_submissions(
            self.session,
            sort=sort,
            limit=limit + 1,
            since=ranking.period_start(period, clock.now()),
            after=after,
            viewer_id=viewer.id if viewer else None,
        )
        more, rows = len(rows) > limit, rows[:limit]
        votes = (
            await queries.list_my_votes(self.session, viewer.id, [r.submission.id for r in rows])
            if viewer is not None
            else {}
        )
        items = [submission_out(row, votes.get(row.submission.id, 0)) for row in rows]
        next_cursor = None
        if more and rows:
            next_cursor = ranking.encode_cursor(sort, period, _position(sort, rows[-1].submission))
        return Listing(items, next_cursor)

    async def vote(self, submission_id: int, value: int, voter: Account) -> dict[str, int]:
        """Set the voter's vote to -1, 0 (none) or 1; repeating a vote changes nothing."""
        submission = await queries.get_submission(self.session, submission_id, for_update=True)
        if submission is None:
            raise NotFound(f"No shared link with id {submission_id}.")
        if submission.account_id == voter.id:
            raise Forbidden("You cannot vote on your own link.")
        if self.moderation is not None:
            await self.moderation.admit_link_vote(voter)
        existing = await queries.get_vote(self.session, submission_id, voter.id)
        result = {
            "submission_id": submission_id,
            "points": submission.points,
            "upvotes": submission.upvotes,
            "downvotes": submission.downvotes,
            "my_vote": value,
        }
        change = await change_vote(
            self.session,
            existing,
            value,
            lambda: SubmissionVote(
                submission_id=submission_id,
                account_id=voter.id,
                value=value,
                created_at=clock.now(),
            ),
        )
        if change is None:
            return result
        upvotes, downvotes, points = await queries.add_to_tallies(
            self.session, submission_id, change.upvotes, change.downvotes
        )
        # The row is locked: no other vote can change the points between these two statements.
        await queries.set_hot(
            self.session, submission_id, ranking.hot(points, submission.created_at)
        )
        result.update(points=points, upvotes=upvotes, downvotes=downvotes)
        return result


def _position(sort: ranking.Sort, last: Submission) -> ranking.Position:
    if sort is ranking.Sort.HOT:
        return ranking.Position(last.id, last.hot)
    if sort is ranking.Sort.TOP:
        return ranking.Position(last.id, last.points)
    if sort is ranking.Sort.ACTIVE:
        return ranking.Position(last.id, ranking.to_micros(last.active_at))
    return ranking.Position(last.id)
