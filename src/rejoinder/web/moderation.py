"""The moderation queue and log in the browser: ``/mod`` and ``/mod/log``.

Moderators and admins only; for everyone else these paths do not exist (404, like any path a
reader may not see). The queue shows each reported or held comment with what a decision
needs, one form per item (approve, remove, spam, ban the author) and a bulk form whose
checkboxes sit on the items (``form="bulk"``). Every action goes through
``ModerationService.act`` inside a savepoint, so a refused action writes nothing, and the
service writes the audit entries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.api.deps import DbSession
from rejoinder.errors import Conflict, Forbidden, InvalidInput, NotFound
from rejoinder.moderation import queries
from rejoinder.moderation.bans import is_staff
from rejoinder.moderation.models import ReportReason, TargetType
from rejoinder.moderation.queue import Action, ModerationService
from rejoinder.moderation.schemas import BanDays, CommentIds, Reason
from rejoinder.web.deps import CsrfChecked, WebViewer
from rejoinder.web.forms import NextPath, WebForm
from rejoinder.web.links import safe_next
from rejoinder.web.templating import render

router = APIRouter()

QUEUE_PAGE = 25
LOG_PAGE = 50
AGES = {"any": None, "1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}
Age = Literal["any", "1h", "1d", "7d"]
ACTION_LABELS = {
    Action.APPROVE: "Approve",
    Action.REMOVE: "Remove",
    Action.SPAM: "Mark spam",
    Action.BAN_AUTHOR: "Remove and ban author",
}
DONE = {
    Action.APPROVE: "approved",
    Action.REMOVE: "removed",
    Action.SPAM: "marked as spam",
    Action.BAN_AUTHOR: "removed, authors banned",
}
REASON_LABELS = {
    ReportReason.SPAM: "Spam",
    ReportReason.HARASSMENT: "Harassment",
    ReportReason.VIOLENCE: "Violence",
    ReportReason.HATE: "Hate",
    ReportReason.ILLEGAL: "Illegal",
    ReportReason.OFF_TOPIC: "Off topic",
    ReportReason.OTHER: "Other",
    ReportReason.HELD: "Held automatically",
}


def require_staff(viewer: Account | None, path: str) -> Account:
    """The moderator or admin; anyone else gets the 404 an unknown path gets."""
    if viewer is None or not is_staff(viewer):
        raise NotFound(f"Nothing at {path}.")
    return viewer


class ActionForm(WebForm):
    action: Action
    comment_ids: CommentIds
    reason: Reason = ""
    ban_days: BanDays | None = None
    back: NextPath = "/mod"


async def _parse_action(request: Request) -> tuple[ActionForm | None, str]:
    """The action form, or None and what is wrong with it (checkboxes repeat a field)."""
    form = await request.form()
    data: dict[str, Any] = {
        key: value for key, value in form.items() if isinstance(value, str) and key != "comment_ids"
    }
    data["comment_ids"] = [value for value in form.getlist("comment_ids") if isinstance(value, str)]
    if not data.get("ban_days", "").strip():
        data.pop("ban_days", None)
    try:
        return ActionForm.model_validate(data), ""
    except ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        if "comment_ids" in fields:
            return None, "Tick at least one comment (at most 100) first."
        if "ban_days" in fields:
            return None, "A ban lasts 1 to 3,650 days; leave the days empty for a permanent ban."
        if "action" in fields:
            return None, "Choose what to do with the comments."
        return None, "The form was not filled in as expected; try again."


async def _queue_page(
    request: Request,
    session: DbSession,
    viewer: Account,
    *,
    reason: ReportReason | None,
    age: Age,
    cursor: str | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    delta = AGES[age]
    queue = await ModerationService(session).queue(
        viewer,
        reason=reason,
        older_than=clock.now() - delta if delta else None,
        cursor=cursor,
        limit=QUEUE_PAGE,
    )
    filters = {"reason": reason.value if reason else "", "age": age}
    here = "/mod?" + urlencode({k: v for k, v in filters.items() if v and v != "any"})
    context.setdefault("error", None)
    context.setdefault("done", None)
    context.update(
        items=queue["items"],
        next_cursor=queue["next_cursor"],
        cursor=cursor,
        filters=filters,
        here=here.rstrip("?"),
        reasons=REASON_LABELS,
        actions=ACTION_LABELS,
        ages={"any": "Any age", "1h": "Older than an hour", "1d": "Older than a day",
              "7d": "Older than a week"},
    )  # fmt: skip
    return render(request, "mod_queue.html", context, status_code=status_code)


@router.get("/mod")
async def queue_page(
    request: Request,
    session: DbSession,
    viewer: WebViewer,
    reason: ReportReason | None = None,
    age: Age = "any",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: Action | None = None,
    n: Annotated[int, Query(ge=0, le=100)] = 0,
) -> Response:
    """Reported and held comments, longest waiting first."""
    staff = require_staff(viewer, "/mod")
    message = f"{n} comment{'s' if n != 1 else ''} {DONE[done]}." if done else None
    return await _queue_page(
        request, session, staff, reason=reason, age=age, cursor=cursor, done=message
    )


@router.post("/mod/actions", dependencies=[CsrfChecked])
async def act(request: Request, session: DbSession, viewer: WebViewer) -> Response:
    """Approve, remove, mark spam or ban: one item's buttons or the bulk form."""
    staff = require_staff(viewer, "/mod/actions")
    form, error = await _parse_action(request)
    if form is not None:
        try:
            async with session.begin_nested():  # all the comments or none of them
                results = await ModerationService(session).act(
                    staff, form.action, form.comment_ids, form.reason, form.ban_days
                )
        except (InvalidInput, NotFound, Conflict, Forbidden) as exc:
            error = exc.detail
        else:
            return RedirectResponse(_done_url(form.back, form.action, len(results)), 303)
    return await _queue_page(
        request, session, staff, reason=None, age="any", cursor=None, status_code=422, error=error
    )


def _done_url(back: str, action: Action, count: int) -> str:
    """Back to the queue with its filters, a fresh first page, and what was done."""
    parts = urlsplit(safe_next(back, "/mod"))
    if parts.path != "/mod":
        return "/mod?" + urlencode({"done": action.value, "n": count})
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k in ("reason", "age")]
    return "/mod?" + urlencode([*kept, ("done", action.value), ("n", str(count))])


@router.get("/mod/log")
async def log_page(
    request: Request,
    session: DbSession,
    viewer: WebViewer,
    before: Annotated[int | None, Query(gt=0, le=2**62)] = None,
) -> Response:
    """Every moderator action, newest first: who, what, which target, when, why."""
    staff = require_staff(viewer, "/mod/log")
    entries = await ModerationService(session).log(staff, before, LOG_PAGE)
    account_ids = [e["target_id"] for e in entries if e["target_type"] == TargetType.ACCOUNT]
    names = {a.id: a.username for a in await queries.list_accounts(session, account_ids)}
    for entry in entries:
        entry["target"] = _target(entry, names)
    context = {
        "entries": entries,
        "before": before,
        "next_before": entries[-1]["id"] if len(entries) == LOG_PAGE else None,
    }
    return render(request, "mod_log.html", context)


def _target(entry: dict[str, Any], names: dict[int, str]) -> tuple[str, str | None]:
    """(label, link) of what an entry acted on."""
    target_id = entry["target_id"]
    kind = entry["target_type"]
    if kind == TargetType.COMMENT:
        return f"comment #{target_id}", f"/c/{target_id}"
    if kind == TargetType.PAGE:
        return f"discussion #{target_id}", f"/p/{target_id}"
    if kind == TargetType.ACCOUNT:
        name = names.get(target_id)
        return (name, f"/u/{name}") if name else (f"account #{target_id}", None)
    return f"{kind} #{target_id}", None
