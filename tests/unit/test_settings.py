"""Configuration: environment, TOML file, defaults, generated secret key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rejoinder.settings import Settings


def test_defaults_run_on_sqlite_under_var(monkeypatch):
    for name in ("REJOINDER_DATABASE_URL", "REJOINDER_DATA_DIR", "REJOINDER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.resolved_database_url == "sqlite+aiosqlite:///var/rejoinder.db"
    assert settings.is_sqlite
    assert settings.allow_guests is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_url_driver(url, expected):
    assert Settings(database_url=url).resolved_database_url == expected


@pytest.mark.parametrize(
    ("url", "given", "expected"),
    [
        ("", None, 4),  # SQLite: few connections, each with a warm page cache
        ("postgresql://u@h/db", None, 10),
        ("", 12, 12),
        ("postgresql://u@h/db", 3, 3),
    ],
)
def test_pool_size_default_depends_on_the_database(url, given, expected):
    assert Settings(database_url=url, database_pool_size=given).pool_size == expected


def test_environment_and_toml_file(tmp_path, monkeypatch):
    config = tmp_path / "rejoinder.toml"
    config.write_text(
        'allow_guests = true\nmax_comment_length = 500\npublic_url = "https://c.example/"\n'
    )
    monkeypatch.setenv("REJOINDER_CONFIG", str(config))
    monkeypatch.setenv("REJOINDER_MAX_COMMENT_LENGTH", "700")
    monkeypatch.setenv("REJOINDER_TRUSTED_PROXIES", "10.0.0.0/8, ::1")
    settings = Settings()
    assert settings.allow_guests is True
    assert settings.max_comment_length == 700  # the environment wins over the file
    assert settings.public_url == "https://c.example"
    assert settings.secure_cookies is True
    assert len(settings.proxy_networks) == 2


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = Settings(data_dir=tmp_path).effective_secret_key
    second = Settings(data_dir=tmp_path).effective_secret_key
    assert first == second
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path, secret_key="given").effective_secret_key == "given"


@pytest.mark.parametrize("field", [{"login_rate": "ten per minute"}, {"max_depth": 0}, {"port": 0}])
def test_invalid_values_are_refused(field):
    with pytest.raises(ValidationError):
        Settings(**field)
