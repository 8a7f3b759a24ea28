"""Fixtures of the fault tests: the machine's Redis, checked before a test relies on it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import redis
from conftest import REDIS_URL, unavailable
from redis.exceptions import RedisError


@pytest.fixture
def redis_upstream() -> tuple[str, int]:
    """(host, port) of the test Redis; fails under CI=true when it is unreachable, else skips."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()
    parts = urlsplit(REDIS_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379
