"""The embed widget's options: the origins allowed to embed it, and the look a host asks for.

Everything here comes from a page we do not control. A host page writes
``<script src="https://INSTANCE/embed.js" data-rejoinder data-accent="#c2410c"
data-font="Georgia, serif" async>``; ``embed.js`` copies those attributes into the iframe's
address (``/embed/thread?url=…&origin=https://blog.example&accent=%23c2410c&…``), and this
module decides what of it may reach the iframe's CSS. Only values of a tiny grammar pass:

- colours: ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, ``rgb(1, 2, 3)``,
  ``rgba(1, 2, 3, 0.5)`` — never ``url(…)``, ``var(…)``, ``expression(…)`` or a keyword;
- fonts: family names of letters, digits, spaces, ``-`` and ``_``, separated by commas;
  each name is re-quoted on the way out, so nothing can close the declaration.

Origins (``REJOINDER_EMBED_ORIGINS``) are ``scheme://host[:port]`` and nothing else, compared
in the form browsers send in ``Origin`` (lower case, default port dropped): they become the
iframe page's ``frame-ancestors`` and the CORS allow-list, where a typo must fail loudly at
start-up rather than open or close the widget silently.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_ORIGINS = 100
_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_RGB = re.compile(
    r"^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*(0|1|0?\.\d{1,3}|1\.0{1,3})\s*)?\)$"
)
_FONT = re.compile(r"^[A-Za-z0-9 _-]+$")
MAX_FONT_FAMILIES = 8
MAX_FONT_LENGTH = 200
# Keywords of CSS's font-family grammar: quoting them would name a font called "serif".
GENERIC_FAMILIES = frozenset(
    {
        "serif",
        "sans-serif",
        "monospace",
        "cursive",
        "fantasy",
        "system-ui",
        "ui-serif",
        "ui-sans-serif",
        "ui-monospace",
        "ui-rounded",
        "math",
        "emoji",
    }
)


def normalize_origin(text: str) -> str:
    """``HTTPS://Blog.Example:443/`` -> ``https://blog.example``; ValueError if not an origin."""
    raw = text.strip()
    if not raw or len(raw) > 300 or any(ord(char) < 0x21 or ord(char) > 0x7E for char in raw):
        raise ValueError(f"{text!r} is not an origin: give scheme://host[:port] in ASCII")
    if raw.endswith("/"):
        raw = raw[:-1]
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} is not an origin: its port is not a number") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"{text!r} is not an origin: it must start with http:// or https://")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{text!r} is not an origin: leave out any path, ?query, #part or login")
    if not _HOST.match(host) and not _is_ipv6(parts.netloc):
        raise ValueError(f"{text!r} is not an origin: {host!r} is not a host name (use punycode)")
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


def _is_ipv6(netloc: str) -> bool:
    return bool(re.match(r"^\[[0-9a-fA-F:.]+\](?::\d+)?$", netloc))


def parse_origins(value: Any) -> list[str]:
    """The ``embed_origins`` setting: a comma-separated string or a list, normalized, unique."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("embed_origins must be a comma-separated list of origins")
    origins: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("embed_origins must be a comma-separated list of origins")
        if not item.strip():
            continue
        if item.strip() == "*":
            # A wildcard would let any site frame the widget (clickjacking votes and posts).
            raise ValueError("embed_origins takes origins, not '*': list every site")
        origin = normalize_origin(item)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise ValueError(f"embed_origins lists more than {MAX_ORIGINS} origins")
    return origins


def frame_ancestors(origins: list[str]) -> str:
    """The CSP directive that lets exactly ``origins`` frame a page (none when empty)."""
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


def check_color(value: str) -> str:
    value = value.strip()
    if _HEX.match(value):
        return value
    match = _RGB.match(value)
    if match and all(int(channel) <= 255 for channel in match.groups()[:3]):
        return value
    raise ValueError("use a colour like #3b5bdb, #fff, rgb(59, 91, 219) or rgba(0, 0, 0, 0.5)")


def check_font(value: str) -> str:
    """A font-family list with every name quoted (generic keywords left bare)."""
    families = [name.strip() for name in value.split(",")]
    if len(value) > MAX_FONT_LENGTH or len(families) > MAX_FONT_FAMILIES:
        raise ValueError(
            f"use at most {MAX_FONT_FAMILIES} font names in {MAX_FONT_LENGTH} characters"
        )
    if not all(families) or not all(_FONT.match(name) for name in families):
        raise ValueError(
            "font names may hold letters, digits, spaces, '-' and '_', separated by commas"
        )
    return ", ".join(
        name.lower() if name.lower() in GENERIC_FAMILIES else f'"{" ".join(name.split())}"'
        for name in families
    )


Color = Annotated[str, StringConstraints(max_length=40), AfterValidator(check_color)]
Font = Annotated[str, StringConstraints(max_length=MAX_FONT_LENGTH), AfterValidator(check_font)]
Theme = Literal["auto", "light", "dark"]


class EmbedOptions(BaseModel):
    """The query of ``/embed/thread``: the page to discuss, the host, and its look."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, StringConstraints(min_length=1, max_length=8192)]
    origin: Annotated[str, StringConstraints(max_length=300)] = Field(
        description="The host page's origin, where size reports are sent."
    )
    theme: Theme = "auto"
    accent: Color | None = None
    background: Color | None = None
    text: Color | None = None
    font: Font | None = None

    def css_properties(self) -> dict[str, str]:
        """The custom properties the iframe sets on its root, by name."""
        values = {
            "--rj-accent": self.accent,
            "--rj-bg": self.background,
            "--rj-text": self.text,
            "--rj-font": self.font,
        }
        return {name: value for name, value in values.items() if value}
