"""Signed one-click unsubscribe tokens for the links and headers of reply e-mails.

``<account id>.<HMAC-SHA256(secret key, "unsubscribe:<account id>") in hex, 32 chars>``.
A token only ever turns e-mail off, so it never expires (an old e-mail's link must still
work, RFC 8058); it cannot be guessed without the instance's secret key.
"""

from __future__ import annotations

import hashlib
import hmac

from rejoinder.settings import Settings

_PURPOSE = "unsubscribe"


def _signature(settings: Settings, account_id: int) -> str:
    key = settings.effective_secret_key.encode()
    message = f"{_PURPOSE}:{account_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def make_token(settings: Settings, account_id: int) -> str:
    return f"{account_id}.{_signature(settings, account_id)}"


def read_token(settings: Settings, token: str) -> int | None:
    """The account id a valid token names, or None for anything else."""
    if len(token) > 64:
        return None
    raw_id, _, signature = token.partition(".")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 18:
        return None
    account_id = int(raw_id)
    expected = _signature(settings, account_id)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogatepass")):
        return None
    return account_id


def unsubscribe_url(settings: Settings, account_id: int) -> str:
    return f"{settings.public_url}/unsubscribe/{make_token(settings, account_id)}"
