"""``/admin/import``: admins upload an export from Disqus, WordPress, Isso, a text thread or
another Rejoinder, and read the summary (imported, skipped and why, errors and where).

The form is the ``rejoinder import`` command's arguments; the work is the same
(``importers.uploads``). A file that cannot be imported is answered on the same page with the
parser's reason, and nothing of it is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field, StringConstraints
from starlette.datastructures import UploadFile
from starlette.responses import Response

from rejoinder.accounts.models import Account
from rejoinder.api.deps import AppSettings, DbSession
from rejoinder.api.import_uploads import AdminBeforeUpload, ReadUpload
from rejoinder.errors import InvalidInput
from rejoinder.importers.runner import ImportFormat
from rejoinder.importers.service import ImportSummary
from rejoinder.importers.uploads import UploadRequest, import_upload, no_file, require_admin
from rejoinder.pages import queries as page_queries
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.forms import Checkbox, WebForm, parse_form
from rejoinder.web.links import page_path
from rejoinder.web.templating import render

router = APIRouter()

# The summary links the first discussions imported; the rest are a search away.
LINKED_PAGES = 20
FORMAT_LABELS = {
    ImportFormat.DISQUS: "Disqus XML export",
    ImportFormat.WORDPRESS: "WordPress WXR export",
    ImportFormat.ISSO: "Isso SQLite database (needs the site address)",
    ImportFormat.TEXT: "Plain-text thread (needs the article address)",
    ImportFormat.REJOINDER_JSON: "Rejoinder JSON export",
}
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8192)]


class ImportForm(WebForm):
    fmt: ImportFormat = Field(alias="format")
    site: OptionalText = ""
    url: OptionalText = ""
    keep_spam: Checkbox
    keep_deleted: Checkbox

    def upload_request(self) -> UploadRequest:
        return UploadRequest(
            fmt=self.fmt,
            site=self.site or None,
            url=self.url or None,
            keep_spam=self.keep_spam,
            keep_deleted=self.keep_deleted,
        )


def _page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {
        "formats": FORMAT_LABELS,
        "values": {},
        "errors": {},
        "summary": None,
        "filename": "",
        "pages": [],
        "max_bytes": request.app.state.settings.import_upload_max_bytes,
    }
    context.update(extra)
    return render(request, "admin_import.html", context, status_code=status_code)


@router.get("/admin/import")
async def import_page(request: Request, viewer: WebViewer) -> Response:
    if viewer is None:
        return to_login(request)
    require_admin(viewer)
    return _page(request)


# Admins only before the upload is read; then the CSRF token in it.
@router.post("/admin/import", dependencies=[AdminBeforeUpload, ReadUpload, CsrfChecked])
async def upload_import(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    require_admin(viewer)
    upload = (await request.form()).get("file")
    return await _import(request, session, settings, viewer, upload)


async def _import(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: Account,
    upload: UploadFile | str | None,
) -> Response:
    form, errors, raw = await parse_form(request, ImportForm)
    if errors.pop("fmt", None) or "format" in errors:
        errors["format"] = "Choose one of the formats."
    if not isinstance(upload, UploadFile):
        errors["file"] = no_file().detail
    if form is None or errors or not isinstance(upload, UploadFile):
        return _page(request, 422, values=raw, errors=errors)
    try:
        summary = await import_upload(session, settings, viewer, form.upload_request(), upload.file)
    except InvalidInput as exc:
        # ImportFailed (a broken or hostile file) and bad arguments: nothing was written.
        where = "file" if any(e.get("field") == "file" for e in exc.errors) else "form"
        message = exc.detail if where == "file" else f"Nothing was imported. {exc.detail}"
        return _page(request, 422, values=raw, errors={where: message})
    return _page(
        request,
        values=raw,
        summary=summary,
        filename=upload.filename or "",
        pages=await _linked_pages(session, summary),
    )


async def _linked_pages(session: DbSession, summary: ImportSummary) -> list[dict[str, str]]:
    pages = []
    for page_id in summary.page_ids[:LINKED_PAGES]:
        page = await page_queries.get_page(session, page_id)
        if page is not None:
            pages.append({"path": page_path(page), "label": page.title or page.url})
    return pages
