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

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """Everything an operator can set; see the configuration table in the README."""

    model_config = SettingsConfigDict(env_prefix="REJOINDER_", extra="ignore", frozen=True)

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where SQLite and the secret key live.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at DATA_DIR/rejoinder.db."
    )
    database_pool_size: int = Field(10, ge=1, le=200)
    redis_url: str | None = Field(None, description="Redis for cross-worker events and limits.")
    redis_prefix: str = Field("rejoinder:", description="Prefix of every Redis key and channel.")
    secret_key: str = Field("", description="Signs CSRF tokens; generated when empty.")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL of this instance.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)

    allow_guests: bool = Field(False, description="Whether readers without accounts may comment.")
    edit_window_seconds: int = Field(900, ge=0, description="How long authors may edit/delete.")
    max_comment_length: int = Field(10_000, ge=1, le=100_000)
    max_depth: int = Field(8, ge=1, le=64, description="Deeper replies attach at this depth.")
    max_url_length: int = Field(2048, ge=64, le=8192)
    thread_page_size: int = Field(100, ge=1, le=1000)

    login_rate: str = Field("10/60", description="Logins per IP and per account: N/seconds.")
    register_rate: str = Field("5/3600", description="Registrations per IP: N/seconds.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated proxy networks whose XFF is believed."
    )
    cookie_secure: bool | None = Field(
        None, description="Secure flag on cookies; default: when PUBLIC_URL is https."
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

    @field_validator("login_rate", "register_rate")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        parse_rate(value)
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
