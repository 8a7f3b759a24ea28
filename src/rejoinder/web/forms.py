"""The HTML forms' fields, validated at the edge like the API's JSON bodies.

Forms are parsed by hand rather than by FastAPI so that a mistake re-renders the same form
with the reader's input and a message beside the field, instead of a bare error page.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.requests import Request

from rejoinder.accounts.schemas import Email, Password, Username
from rejoinder.comments.quotes import MAX_CONTEXT, MAX_EXACT, clean_quote_text, quote_json
from rejoinder.comments.schemas import Body
from rejoinder.web import csrf

Model = TypeVar("Model", bound=BaseModel)

# Checkboxes send "on" when ticked and nothing otherwise.
Checkbox = Annotated[bool, Field(default=False)]
NextPath = Annotated[str, StringConstraints(max_length=2000)]


class WebForm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=100_000)

    # Checked by web.csrf before the form is parsed; declared so extra="forbid" accepts it.
    csrf_token: Annotated[str, StringConstraints(max_length=256)] = ""


class LoginForm(WebForm):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    next: NextPath = "/"


class RegisterForm(WebForm):
    username: Username
    password: Password
    password_again: Annotated[str, StringConstraints(max_length=1024)]
    email: Annotated[Email | None, Field(default=None)]
    next: NextPath = "/"


class CommentForm(WebForm):
    body: Body
    nsfw: Checkbox
    # Guests' display name, where the instance allows guests; ignored for signed-in readers.
    author_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    # The article passage answered: pasted, or filled from a selection by static/article.js.
    quote_exact: Annotated[str, StringConstraints(max_length=MAX_EXACT)] = ""
    quote_prefix: Annotated[str, StringConstraints(max_length=MAX_CONTEXT)] = ""
    quote_suffix: Annotated[str, StringConstraints(max_length=MAX_CONTEXT)] = ""

    def quote(self) -> dict[str, str] | None:
        """The quote to store, or None when the field was left empty (or held only controls)."""
        exact = clean_quote_text(self.quote_exact)
        if not exact.strip():
            return None
        return quote_json(
            exact, clean_quote_text(self.quote_prefix), clean_quote_text(self.quote_suffix)
        )


class EditForm(WebForm):
    body: Body


class VoteForm(WebForm):
    value: Annotated[int, Field(ge=-1, le=1)]
    back: NextPath = ""


class PasswordForm(WebForm):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    new_password: Password
    new_password_again: Annotated[str, StringConstraints(max_length=1024)]


class DeleteAccountForm(WebForm):
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    confirm: Checkbox


_MESSAGES = {
    "string_too_short": "This is required.",
    "missing": "This is required.",
    "string_pattern_mismatch": "This is not in the expected form.",
    "extra_forbidden": "Unexpected field.",
}


async def parse_form(
    request: Request, model: type[Model]
) -> tuple[Model | None, dict[str, str], dict[str, str]]:
    """(validated form or None, messages by field, the raw text values to re-fill the form)."""
    form = await request.form()
    raw: dict[str, str] = {}
    for key, value in form.multi_items():
        # A repeated or file field is never something our forms send: keep the first text.
        if isinstance(value, str) and key not in raw:
            raw[key] = value
    data: dict[str, Any] = {key: value for key, value in raw.items() if key != csrf.FIELD}
    for name, field in model.model_fields.items():
        if field.annotation is bool:
            data[name] = name in raw
        elif name == "email" and not data.get("email", "").strip():
            data.pop("email", None)
    try:
        return model.model_validate(data), {}, raw
    except ValidationError as exc:
        messages: dict[str, str] = {}
        for error in exc.errors():
            field_name = str(error["loc"][0]) if error["loc"] else "form"
            text = _MESSAGES.get(error["type"]) or str(error["msg"])
            if error["type"] == "string_too_long":
                limit = (error.get("ctx") or {}).get("max_length")
                text = f"At most {limit:,} characters." if limit else text
            messages.setdefault(field_name, text)
        return None, messages, raw
