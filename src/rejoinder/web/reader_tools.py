"""What a signed-in reader does about other people's comments, in the browser: report, mute.

Reports go through ``ReportService`` with the request's moderation gate (bans and the report
rate apply here as in the API); mutes and hidden discussions through ``ReaderTools``. Every
form works without JavaScript: the report page ``/c/{id}/report``, and POST buttons that
come back to where the reader was. ``discussion.js`` opens the report form inline instead.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from rejoinder.accounts.models import Account
from rejoinder.api.deps import AppSettings, DbSession, Gate
from rejoinder.comments.service import CommentService
from rejoinder.errors import Conflict, InvalidInput
from rejoinder.moderation.models import ReportReason
from rejoinder.moderation.reader_tools import ReaderTools
from rejoinder.moderation.reports import ReportService
from rejoinder.moderation.schemas import ReaderReason
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.discussions import get_page_or_404
from rejoinder.web.forms import NextPath, WebForm, parse_form
from rejoinder.web.links import page_path, safe_next
from rejoinder.web.templating import render

router = APIRouter()

CommentId = Annotated[int, Path(gt=0, le=2**62)]
PageId = Annotated[int, Path(gt=0, le=2**62)]
UsernamePath = Annotated[str, Path(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]


class ReportForm(WebForm):
    reason: ReaderReason
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class BackForm(WebForm):
    back: NextPath = ""


async def reader_lists(session: AsyncSession, viewer: Account) -> dict[str, Any]:
    """The settings page's lists: hidden discussions (with links) and muted accounts."""
    tools = ReaderTools(session)
    pages = await tools.hidden_page_rows(viewer)
    return {
        "hidden_pages": [(page, page_path(page)) for page in pages],
        "mutes": await tools.mutes(viewer),
    }


async def _report_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: Account,
    comment_id: int,
    status_code: int = 200,
    **context: Any,
) -> Response:
    comment = await CommentService(session, settings).get_visible(comment_id, viewer)
    page = await get_page_or_404(session, comment.page_id)
    author = await session.get(Account, comment.author_id) if comment.author_id else None
    context.setdefault("error", None)
    context.setdefault("reason", "")
    context.setdefault("text", "")
    context.setdefault("done", None)
    context.update(
        comment=comment,
        author_name=author.username if author else (comment.guest_name or "Anonymous"),
        page=page,
        page_path=page_path(page),
    )
    return render(request, "report.html", context, status_code=status_code)


@router.get("/c/{comment_id}/report")
async def report_form(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    """The report page for readers without JavaScript."""
    if viewer is None:
        return to_login(request)
    return await _report_page(request, session, settings, viewer, comment_id)


@router.post("/c/{comment_id}/report", dependencies=[CsrfChecked])
async def send_report(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    gate: Gate,
) -> Response:
    """File a report; a mistake re-renders the form with the reader's text kept."""
    if viewer is None:
        return to_login(request)
    form, messages, raw = await parse_form(request, ReportForm)
    kept = {"reason": raw.get("reason", ""), "text": raw.get("text", "")}
    if form is None:
        error = "Choose a reason." if "reason" in messages else next(iter(messages.values()))
        return await _report_page(
            request, session, settings, viewer, comment_id, 422, error=error, **kept
        )
    try:
        async with session.begin_nested():
            await ReportService(session, settings, gate).report_comment(
                viewer, comment_id, ReportReason(form.reason), form.text
            )
    except (InvalidInput, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return await _report_page(
            request, session, settings, viewer, comment_id, status, error=exc.detail, **kept
        )
    done = "Thank you: the moderators will look at this comment."
    return await _report_page(request, session, settings, viewer, comment_id, done=done)


@router.post("/u/{username}/mute", dependencies=[CsrfChecked])
async def mute(
    request: Request, username: UsernamePath, session: DbSession, viewer: WebViewer
) -> Response:
    """Mute an account: its comments are collapsed for you, and only for you."""
    if viewer is None:
        return to_login(request)
    form, _messages, _raw = await parse_form(request, BackForm)
    await ReaderTools(session).mute(viewer, username)
    return _back(form, f"/u/{username}")


@router.post("/u/{username}/unmute", dependencies=[CsrfChecked])
async def unmute(
    request: Request, username: UsernamePath, session: DbSession, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    form, _messages, _raw = await parse_form(request, BackForm)
    await ReaderTools(session).unmute(viewer, username)
    return _back(form, "/settings")


@router.post("/settings/hidden-pages/{page_id}/unhide", dependencies=[CsrfChecked])
async def unhide_page(
    request: Request, page_id: PageId, session: DbSession, viewer: WebViewer
) -> Response:
    """Show a hidden discussion on your front page again."""
    if viewer is None:
        return to_login(request)
    await ReaderTools(session).unhide_page(viewer, page_id)
    return RedirectResponse("/settings#hidden-pages", status_code=303)


def _back(form: BackForm | None, default: str) -> Response:
    back = form.back if form is not None else ""
    path, _, fragment = back.partition("#")
    target = safe_next(path, default)
    # Only the comment anchors our own forms send; anything else is dropped.
    if fragment.startswith("c") and fragment[1:].isdigit():
        target += "#" + fragment
    return RedirectResponse(target, status_code=303)
