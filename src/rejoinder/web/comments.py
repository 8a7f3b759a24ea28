"""Writing without JavaScript: post, reply, edit, delete and vote through plain forms.

Every form is a POST with a CSRF token; success redirects (303) to the comment in context,
a mistake re-renders the form with the text kept and the reason beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from rejoinder.accounts.models import Account
from rejoinder.api.deps import AppSettings, DbSession, Gate
from rejoinder.comments.models import Comment
from rejoinder.comments.service import CommentService
from rejoinder.errors import InvalidInput
from rejoinder.votes.service import VoteService
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.discussions import get_page_or_404, page_ref
from rejoinder.web.forms import CommentForm, EditForm, VoteForm, parse_form
from rejoinder.web.links import comment_path, page_path, safe_next
from rejoinder.web.templating import render

router = APIRouter()

PageId = Annotated[int, Path(gt=0, le=2**62)]
CommentId = Annotated[int, Path(gt=0, le=2**62)]
FormT = TypeVar("FormT")


def _first_error(messages: dict[str, str], exc: InvalidInput | None = None) -> str:
    if exc is not None:
        return exc.detail
    return messages.get("body") or next(iter(messages.values()), "Check the form.")


def _to_comment(comment_id: int) -> Response:
    # 303: reloading the page it lands on does not send the form again.
    return RedirectResponse(f"{comment_path(comment_id)}#c{comment_id}", status_code=303)


async def _save(
    session: DbSession,
    form: FormT | None,
    messages: dict[str, str],
    write: Callable[[FormT], Awaitable[int]],
) -> Response | str:
    """Run ``write`` on a valid form and redirect to the comment id it returns.

    Otherwise the reason to show beside the re-rendered form: the form's first mistake,
    or the service's refusal (``InvalidInput``), whose savepoint leaves nothing behind.
    """
    if form is None:
        return _first_error(messages)
    try:
        async with session.begin_nested():
            comment_id = await write(form)
    except InvalidInput as exc:
        return _first_error({}, exc)
    return _to_comment(comment_id)


def _form_page(
    request: Request,
    settings: AppSettings,
    template: str,
    *,
    status_code: int = 200,
    **context: object,
) -> Response:
    context.setdefault("error", None)
    context.setdefault("body", "")
    context.setdefault("nsfw", False)
    context.setdefault("author_name", "")
    context["max_length"] = settings.max_comment_length
    context["guests"] = settings.allow_guests
    return render(request, template, context, status_code=status_code)


def _guest_name(form: CommentForm, viewer: Account | None) -> str | None:
    # The service refuses guests unless the instance allows them, and a guest without a name.
    return (form.author_name or None) if viewer is None else None


async def _changeable(
    session: DbSession, settings: AppSettings, comment_id: int, viewer: Account
) -> Comment:
    """The viewer's comment, while they may still edit or delete it; else the service raises."""
    service = CommentService(session, settings)
    comment = await service.get_visible(comment_id, viewer)
    service.check_can_change(comment, viewer)
    return comment


async def _author_name(session: DbSession, comment: Comment) -> str:
    if comment.author_id is None:
        return comment.guest_name or "Anonymous"
    author = await session.get(Account, comment.author_id)
    return author.username if author else "Anonymous"


@router.post("/p/{page_id}/{slug}/comments", dependencies=[CsrfChecked])
async def post_comment(
    request: Request,
    page_id: PageId,
    slug: str,  # noqa: ARG001 - part of the path only to keep URLs readable
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    gate: Gate,
) -> Response:
    """Post a top-level comment from the discussion page's form."""
    page = await get_page_or_404(session, page_id)
    if viewer is None and not settings.allow_guests:
        return to_login(request)
    form, messages, raw = await parse_form(request, CommentForm)
    context = {
        "page": page, "page_path": page_path(page), "body": raw.get("body", ""),
        "author_name": raw.get("author_name", ""),
        "quote": {k: raw.get(f"quote_{k}", "") for k in ("exact", "prefix", "suffix")},
    }  # fmt: skip

    async def write(valid: CommentForm) -> int:
        comment, _ = await CommentService(session, settings, gate).post(
            body=valid.body, author=viewer, url=page_ref(page).url, nsfw=valid.nsfw,
            guest_name=_guest_name(valid, viewer), quote=valid.quote(),
        )  # fmt: skip
        return comment.id

    outcome = await _save(session, form, messages, write)
    if isinstance(outcome, Response):
        return outcome
    return _form_page(
        request, settings, "compose.html", status_code=422,
        error=outcome, nsfw=form.nsfw if form is not None else False, **context,
    )  # fmt: skip


@router.get("/c/{comment_id}/reply")
async def reply_form(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    """The reply page for readers without JavaScript."""
    if viewer is None and not settings.allow_guests:
        return to_login(request)
    parent = await CommentService(session, settings).get_visible(comment_id, viewer)
    page = await get_page_or_404(session, parent.page_id)
    return _form_page(
        request, settings, "reply.html",
        parent=parent, parent_author=await _author_name(session, parent),
        page=page, page_path=page_path(page),
    )  # fmt: skip


@router.post("/c/{comment_id}/reply", dependencies=[CsrfChecked])
async def post_reply(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    gate: Gate,
) -> Response:
    """Post a reply; the answer is the new comment in its conversation."""
    if viewer is None and not settings.allow_guests:
        return to_login(request)
    service = CommentService(session, settings, gate)
    parent = await service.get_visible(comment_id, viewer)
    form, messages, raw = await parse_form(request, CommentForm)

    async def write(valid: CommentForm) -> int:
        reply, _ = await service.post(
            body=valid.body, author=viewer, parent_id=comment_id, nsfw=valid.nsfw,
            guest_name=_guest_name(valid, viewer),
        )  # fmt: skip
        return reply.id

    outcome = await _save(session, form, messages, write)
    if isinstance(outcome, Response):
        return outcome
    page = await get_page_or_404(session, parent.page_id)
    return _form_page(
        request, settings, "reply.html", status_code=422,
        parent=parent, parent_author=await _author_name(session, parent), page=page,
        page_path=page_path(page), body=raw.get("body", ""), error=outcome,
        nsfw="nsfw" in raw, author_name=raw.get("author_name", ""),
    )  # fmt: skip


@router.get("/c/{comment_id}/edit")
async def edit_form(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    """Edit your comment while the edit window is open."""
    if viewer is None:
        return to_login(request)
    comment = await _changeable(session, settings, comment_id, viewer)
    return _form_page(request, settings, "edit.html", comment=comment, body=comment.body_src)


@router.post("/c/{comment_id}/edit", dependencies=[CsrfChecked])
async def save_edit(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    gate: Gate,
) -> Response:
    if viewer is None:
        return to_login(request)
    service = CommentService(session, settings, gate)
    comment = await service.get_visible(comment_id, viewer)
    form, messages, raw = await parse_form(request, EditForm)

    async def write(valid: EditForm) -> int:
        await service.edit(comment_id, valid.body, viewer)
        return comment_id

    outcome = await _save(session, form, messages, write)
    if isinstance(outcome, Response):
        return outcome
    return _form_page(
        request, settings, "edit.html", status_code=422,
        comment=comment, body=raw.get("body", ""), error=outcome,
    )  # fmt: skip


@router.get("/c/{comment_id}/delete")
async def delete_form(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    """Ask before deleting: the confirmation page of the delete button."""
    if viewer is None:
        return to_login(request)
    comment = await _changeable(session, settings, comment_id, viewer)
    return render(request, "delete.html", {"comment": comment})


@router.post("/c/{comment_id}/delete", dependencies=[CsrfChecked])
async def delete_comment(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    if viewer is None:
        return to_login(request)
    service = CommentService(session, settings)
    comment = await service.get_visible(comment_id, viewer)
    await service.delete(comment_id, viewer)
    page = await get_page_or_404(session, comment.page_id)
    return RedirectResponse(page_path(page), status_code=303)


@router.post("/c/{comment_id}/vote", dependencies=[CsrfChecked])
async def vote(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    viewer: WebViewer,
    gate: Gate,
) -> Response:
    """Vote with a form; JavaScript uses ``PUT /api/v1/comments/{id}/vote`` instead."""
    if viewer is None:
        return to_login(request)
    form, messages, _raw = await parse_form(request, VoteForm)
    if form is None:
        raise InvalidInput("A vote is 1, 0 or -1.", [
            {"field": name, "reason": "invalid", "message": text}
            for name, text in messages.items()
        ])  # fmt: skip
    await VoteService(session, gate).vote(comment_id, form.value, viewer)
    target = safe_next(form.back.split("#", 1)[0], comment_path(comment_id))
    return RedirectResponse(f"{target}#c{comment_id}", status_code=303)
