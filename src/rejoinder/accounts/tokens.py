"""Bearer tokens: random secrets handed out once, stored only as SHA-256 digests.

A token has 256 bits of entropy, so a fast hash is enough (unlike passwords): checking one
is a single indexed lookup of its digest.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "rj_"  # noqa: S105 - a label, not a secret


def new_token() -> tuple[str, str]:
    """A fresh (secret, digest) pair."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, token_digest(secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
