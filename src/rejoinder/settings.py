"""Configuration: environment variables prefixed ``REJOINDER_``, an optional TOML file, defaults.

The defaults run a complete instance on SQLite under ``./var/`` with nothing configured: the
secret key is generated on first start and kept in ``var/secret_key`` so sessions survive a
restart. Precedence, highest first: arguments to ``Settings(...)`` (tests), environment,
the TOML file named by ``REJOINDER_CONFIG``, defaults.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rejoinder.embed.options import parse_origins

DEFAULT_DATA_DIR = Path("var")
# Each SQLite connection has a page cache of its own, all of them within one process-wide
# budget (db/engine.py): a few, reused most-recent first, keep theirs warm. Twenty, taken in
# turn, each held a sliver of it, and posts after a read load met cold caches (issue 8,
# run 11). A SQLite worker also gains nothing from more concurrent statements than cores.
SQLITE_POOL_SIZE = 4
POSTGRESQL_POOL_SIZE = 10


class Settings(BaseSettings):
    """Everything an operator can set; see the configuration table in the README."""

    model_config = SettingsConfigDict(env_prefix="REJOINDER_", extra="ignore", frozen=True)

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where SQLite and the secret key live.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at DATA_DIR/rejoinder.db."
    )
    database_pool_size: int | None = Field(
        None,
        ge=1,
        le=200,
        description="Connections per worker (and as many again at peaks); empty means "
        f"{SQLITE_POOL_SIZE} on SQLite, {POSTGRESQL_POOL_SIZE} on PostgreSQL.",
    )
    redis_url: str | None = Field(None, description="Redis for cross-worker events and limits.")
    redis_prefix: str = Field("rejoinder:", description="Prefix of every Redis key and channel.")
    secret_key: str = Field("", description="Signs CSRF tokens; generated when empty.")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL of this instance.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    access_log: bool = Field(
        True, description="Log every request (off behind a proxy that already logs them)."
    )
    # 8 MB keeps a worker serving a large site under 150 MB RSS (docs/benchmarks.md, issue 8)
    # and still holds the busiest threads: ~80 of 200 comments or ~1,600 small ones.
    thread_cache_bytes: int = Field(
        8 * 1024 * 1024,
        ge=0,
        description="Memory per worker for serialized anonymous thread reads; 0 turns it off.",
    )
    thread_cache_ttl_seconds: float = Field(
        300.0, gt=0, description="Longest a cached thread is served without being read again."
    )

    allow_guests: bool = Field(False, description="Whether readers without accounts may comment.")
    edit_window_seconds: int = Field(900, ge=0, description="How long authors may edit/delete.")
    max_comment_length: int = Field(10_000, ge=1, le=100_000)
    max_depth: int = Field(8, ge=1, le=64, description="Deeper replies attach at this depth.")
    max_url_length: int = Field(2048, ge=64, le=8192)
    thread_page_size: int = Field(100, ge=1, le=1000)
    # A page of a thread holds whole top-level comments; where they carry many replies, this
    # bounds the page by comments in all so the first screen of a long discussion stays as
    # light as a short one (issue 8). The first top-level comment always comes whole.
    thread_page_comments: int = Field(
        200, ge=1, le=10_000, description="Most comments on one page of a thread, replies included."
    )
    # Only the import upload paths (/admin/import, /api/v1/imports) take bodies this large;
    # every other request stays under app.MAX_BODY_BYTES. Exports of big sites run to 100 MB.
    import_upload_max_bytes: int = Field(
        200_000_000, ge=1_000_000, le=10_000_000_000, description="Largest import upload."
    )
    # Streams end after this long so proxies and load balancers rotate connections and a
    # worker being restarted is not held open forever; browsers reconnect on their own.
    stream_lifetime_seconds: float = Field(1800, gt=0, le=86_400)
    stream_keepalive_seconds: float = Field(
        15, gt=0, le=300, description="Idle interval before a `: keep-alive` comment."
    )

    # Argon2id cost for passwords; the defaults follow RFC 9106's second recommendation.
    password_time_cost: int = Field(3, ge=1, le=20)
    password_memory_kib: int = Field(65536, ge=8, le=4_194_304)
    password_parallelism: int = Field(4, ge=1, le=64)
    login_rate: str = Field("10/60", description="Logins per IP and per account: N/seconds.")
    register_rate: str = Field("5/3600", description="Registrations per IP: N/seconds.")
    comment_rate: str = Field("10/60", description="Comments per account and per IP.")
    vote_rate: str = Field("60/60", description="Votes per account and per IP.")
    report_rate: str = Field("20/3600", description="Reports per account and per IP.")

    # Moderation: see rejoinder/moderation/holds.py for what each rule does.
    report_threshold: int = Field(3, ge=1, le=1000, description="Reports that hide an item.")
    hold_account_age_hours: float = Field(
        0, ge=0, description="Hold comments from accounts younger than this; 0 is off."
    )
    hold_min_approved_comments: int = Field(
        0, ge=0, le=1000, description="Hold comments until an account has this many approved."
    )
    hold_max_links: int = Field(5, ge=0, le=1000, description="Hold comments with more links.")
    blocked_words: list[str] = Field(
        default_factory=list, description="Whole words that hold a comment (any case)."
    )
    blocked_patterns: list[str] = Field(
        default_factory=list, description="Regular expressions that hold a comment."
    )
    flood_window_seconds: int = Field(
        3600, ge=0, description="How long identical texts are remembered; 0 is off."
    )
    flood_max_pages: int = Field(
        2, ge=1, le=1000, description="Other pages one text may appear on before it is held."
    )
    classifier: str = Field(
        "profanity-check", description="Abuse classifier: profanity-check or none."
    )
    classifier_threshold: float = Field(
        0.95, ge=0, le=1, description="Hold comments the classifier scores above this."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated proxy networks whose XFF is believed."
    )
    cookie_secure: bool | None = Field(
        None, description="Secure flag on cookies; default: when PUBLIC_URL is https."
    )
    embed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (https://blog.example) allowed to embed the widget.",
    )

    # Background fetching of discussed pages (title, metadata, a snapshot of the text).
    fetch_enabled: bool = Field(True, description="Run the page fetcher in this process.")
    fetch_allow_loopback: bool = Field(
        False, description="Let the fetcher reach 127.0.0.0/8 and ::1 (tests, development)."
    )
    fetch_connect_timeout: float = Field(5.0, gt=0, le=60, description="Seconds to connect.")
    fetch_total_timeout: float = Field(
        20.0, gt=0, le=300, description="Seconds for a whole fetch, redirects included."
    )
    fetch_max_bytes: int = Field(
        5_000_000, ge=1024, le=50_000_000, description="Largest page body, after decompression."
    )
    fetch_workers: int = Field(2, ge=1, le=16, description="Concurrent fetches per process.")
    fetch_poll_seconds: float = Field(2.0, gt=0, le=300, description="Idle queue poll interval.")
    fetch_max_attempts: int = Field(4, ge=1, le=20, description="Tries before a fetch fails.")
    fetch_retry_seconds: float = Field(
        60.0, ge=0, le=86_400, description="Wait before the first retry; each retry waits 4x."
    )

    # Outgoing mail (reply digests, password resets); no SMTP host means no mail at all.
    smtp_host: str | None = Field(None, description="SMTP server; unset sends no mail.")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout: float = Field(30.0, gt=0, le=300, description="Seconds for one SMTP session.")
    mail_from: str = Field("rejoinder@localhost", max_length=254, description="From: address.")
    mail_digest_minutes: float = Field(
        15.0, ge=0, le=10_080, description="Replies wait this long to go out as one e-mail."
    )
    # The mail and webhook senders (database queues, like the fetcher).
    deliveries_enabled: bool = Field(True, description="Run mail and webhook senders here.")
    delivery_poll_seconds: float = Field(5.0, gt=0, le=300, description="Idle poll interval.")
    webhook_timeout: float = Field(10.0, gt=0, le=60, description="Seconds for one delivery.")
    webhook_max_attempts: int = Field(6, ge=1, le=20, description="Tries before giving up.")
    webhook_retry_seconds: float = Field(
        30.0, ge=0, le=86_400, description="Wait before the first retry; each retry waits 4x."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no .env files
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("REJOINDER_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        return parse_origins(value)

    @field_validator("login_rate", "register_rate", "comment_rate", "vote_rate", "report_rate")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("blocked_words", "blocked_patterns", "classifier")
    @classmethod
    def _check_filters(cls, value: Any, info: ValidationInfo) -> Any:
        # Imported here: the filters module imports this one for its type.
        from rejoinder.moderation import filters

        filters.validate_setting(info.field_name or "", value)
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @cached_property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL, with the driver this project uses for each database."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'rejoinder.db'}"
        for prefix, driver in (
            ("sqlite://", "sqlite+aiosqlite://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix) :]
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def pool_size(self) -> int:
        if self.database_pool_size is not None:
            return self.database_pool_size
        return SQLITE_POOL_SIZE if self.is_sqlite else POSTGRESQL_POOL_SIZE

    @cached_property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(net, strict=False) for net in self.trusted_proxies)

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept beside the database."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL: when two workers start at once, exactly one key wins and both read it.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def parse_rate(value: str) -> tuple[int, float]:
    """``"10/60"`` -> (10 events, per 60 seconds)."""
    count, _, seconds = value.partition("/")
    try:
        parsed = int(count), float(seconds)
    except ValueError:
        raise ValueError(f"rate {value!r} is not of the form N/SECONDS") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise ValueError(f"rate {value!r} must allow at least one event in a positive period")
    return parsed
