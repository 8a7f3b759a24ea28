"""Webhook signatures: HMAC-SHA256 over the timestamp and the raw body.

Each delivery carries ``X-Rejoinder-Timestamp: <unix seconds>`` and
``X-Rejoinder-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>``.
The timestamp is inside the signed bytes so a receiver that rejects old timestamps also
rejects a captured delivery replayed later; the body is signed as sent, byte for byte, so
receivers must verify before parsing JSON. `verify` is the reference receiver check that
``docs/webhooks.md`` describes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Rejoinder-Signature"
TIMESTAMP_HEADER = "X-Rejoinder-Timestamp"
EVENT_HEADER = "X-Rejoinder-Event"
DELIVERY_HEADER = "X-Rejoinder-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
DEFAULT_TOLERANCE = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str,
    body: bytes,
    signature: str,
    timestamp: str,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature, compared in constant
    time."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    moment = int(timestamp)
    if abs(now - moment) > tolerance:
        return False
    expected = sign(secret, moment, body)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogatepass"))
