"""The front page of shared links, the submit form and search, as HTML.

Every form works without JavaScript: a POST with a CSRF token, then a 303 back to where the
reader was. ``front.js`` upgrades votes to ``PUT /api/v1/submissions/{id}/vote`` and fills
the title from the page's known title.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import StringConstraints
from starlette.responses import RedirectResponse, Response

from rejoinder.api.deps import AppSettings, DbSession, Gate
from rejoinder.errors import InvalidInput
from rejoinder.moderation.reader_tools import ReaderTools
from rejoinder.pages.schemas import UrlText
from rejoinder.search.service import SearchService
from rejoinder.search.terms import MAX_QUERY
from rejoinder.submissions.ranking import Period, Sort
from rejoinder.submissions.schemas import MAX_TITLE
from rejoinder.submissions.service import AlreadySubmitted, SubmissionService
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.forms import NextPath, VoteForm, WebForm, parse_form
from rejoinder.web.links import page_path, safe_next
from rejoinder.web.templating import render

router = APIRouter()

SubmissionId = Annotated[int, Path(gt=0, le=2**62)]
PageId = Annotated[int, Path(gt=0, le=2**62)]
Cursor = Annotated[str | None, Query(max_length=200)]
PAGE_SIZE = 30

SORTS = {Sort.HOT: "Hot", Sort.NEW: "New", Sort.TOP: "Top", Sort.ACTIVE: "Active"}
PERIODS = {Period.DAY: "Day", Period.WEEK: "Week", Period.ALL: "All time"}


class SubmitForm(WebForm):
    url: UrlText
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE)]
    body: Annotated[str, StringConstraints(max_length=100_000)] = ""


class HideForm(WebForm):
    back: NextPath = ""


@router.get("/")
async def front_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    sort: Sort = Sort.HOT,
    period: Period = Period.ALL,
    cursor: Cursor = None,
) -> Response:
    """The shared links in the chosen order, one page at a time."""
    listing = await SubmissionService(session, settings).front_page(
        sort=sort, period=period, cursor=cursor, limit=PAGE_SIZE, viewer=viewer
    )
    context = {
        "items": listing.items,
        "next_cursor": listing.next_cursor,
        "cursor": cursor,
        "sort": sort,
        "period": period if sort is Sort.TOP else Period.ALL,
        "sorts": SORTS,
        "periods": PERIODS,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return render(request, "front.html", context)


@router.post("/submissions/{submission_id}/vote", dependencies=[CsrfChecked])
async def vote_submission(
    request: Request,
    submission_id: SubmissionId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    gate: Gate,
) -> Response:
    """Vote with a form; JavaScript uses the JSON API instead."""
    if viewer is None:
        return to_login(request)
    form, messages, _raw = await parse_form(request, VoteForm)
    if form is None:
        raise InvalidInput(
            "A vote is 1, 0 or -1.",
            [
                {"field": name, "reason": "invalid", "message": text}
                for name, text in messages.items()
            ],
        )
    await SubmissionService(session, settings, gate).vote(submission_id, form.value, viewer)
    target = safe_next(form.back.split("#", 1)[0], "/")
    return RedirectResponse(f"{target}#s{submission_id}", status_code=303)


@router.post("/hidden-pages/{page_id}", dependencies=[CsrfChecked])
async def hide_page(
    request: Request, page_id: PageId, session: DbSession, viewer: WebViewer
) -> Response:
    """Hide a discussion from this reader's front page, then go back to it."""
    if viewer is None:
        return to_login(request)
    form, _messages, _raw = await parse_form(request, HideForm)
    await ReaderTools(session).hide_page(viewer, page_id)
    back = form.back.split("#", 1)[0] if form is not None else "/"
    return RedirectResponse(safe_next(back, "/"), status_code=303)


def _submit_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {"values": values, "errors": errors, "max_title": MAX_TITLE, **extra}
    return render(request, "submit.html", context, status_code=status_code)


@router.get("/submit")
async def submit_form(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    url: Annotated[str, Query(max_length=8192)] = "",
    title: Annotated[str, Query(max_length=MAX_TITLE)] = "",
) -> Response:
    """The submit form; ``?url=`` (and ``&title=``) prefill it, as a bookmarklet would."""
    if viewer is None:
        return to_login(request)
    values = {"url": url, "title": title, "body": ""}
    if not url.strip():
        return _submit_page(request, values, {})
    try:
        prefill = await SubmissionService(session, settings).prefill(url)
    except InvalidInput as exc:
        return _submit_page(request, values, {"url": exc.detail})
    if prefill.page is not None and prefill.page.title and not title:
        values["title"] = prefill.page.title[:MAX_TITLE]
    existing = page_path(prefill.page) if prefill.page and prefill.submission else None
    return _submit_page(request, values, {}, existing_path=existing)


@router.post("/submit", dependencies=[CsrfChecked])
async def submit(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer, gate: Gate
) -> Response:
    """Share a link; a link shared before leads to its discussion."""
    if viewer is None:
        return to_login(request)
    form, messages, raw = await parse_form(request, SubmitForm)
    values = {name: raw.get(name, "") for name in ("url", "title", "body")}
    if form is None:
        return _submit_page(request, values, messages, status_code=422)
    try:
        _submission, page = await SubmissionService(session, settings, gate).submit(
            url=form.url, title=form.title, body=form.body if form.body.strip() else None,
            submitter=viewer,
        )  # fmt: skip
    except AlreadySubmitted as exc:
        return RedirectResponse(exc.path, status_code=303)
    except InvalidInput as exc:
        errors = {str(e.get("field")): str(e.get("message")) for e in reversed(exc.errors)}
        return _submit_page(request, values, errors or {"form": exc.detail}, status_code=422)
    return RedirectResponse(page_path(page), status_code=303)


@router.get("/search")
async def search(
    request: Request,
    session: DbSession,
    viewer: WebViewer,  # noqa: ARG001 - sets request.state.viewer for the header
    q: Annotated[str, Query(max_length=MAX_QUERY * 4)] = "",
    cursor: Cursor = None,
) -> Response:
    """Search comments and titles."""
    context: dict[str, Any] = {"q": q, "results": [], "next_cursor": None, "cursor": cursor}
    if len(q) > MAX_QUERY:
        context["error"] = f"Searches are limited to {MAX_QUERY} characters."
        return render(request, "search.html", context, status_code=422)
    if q.strip():
        results = await SearchService(session).search(q, cursor)
        context.update(results=results.items, next_cursor=results.next_cursor)
    return render(request, "search.html", context)
