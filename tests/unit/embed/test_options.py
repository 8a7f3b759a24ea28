"""The embed widget's options: allowed origins and the host's look, from hostile input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from pydantic import ValidationError

from rejoinder.embed.options import (
    EmbedOptions,
    check_color,
    check_font,
    frame_ancestors,
    normalize_origin,
    parse_origins,
)
from rejoinder.settings import Settings

STATIC = Path(__file__).parents[3] / "src" / "rejoinder" / "web" / "static"


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://blog.example", "https://blog.example"),
        ("HTTPS://Blog.Example:443/", "https://blog.example"),
        ("http://blog.example:80", "http://blog.example"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_origins_normalize_as_browsers_send_them(raw, origin):
    assert normalize_origin(raw) == origin


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "*",
        "blog.example",
        "ftp://blog.example",
        "javascript://blog.example",
        "https://blog.example/comments",
        "https://blog.example?x=1",
        "https://blog.example#top",
        "https://user:pw@blog.example",
        "https://blog.example:99999",
        "https://blog.example:port",
        "https://bücher.example",
        "https://blog example",
        "https://blog.exa\nmple",
        "https://-blog.example",
        "https://",
    ],
)
def test_anything_but_an_origin_is_refused(raw):
    with pytest.raises(ValueError, match="origin"):
        normalize_origin(raw)


def test_origin_list_is_split_deduplicated_and_ordered():
    value = " https://a.example, ,HTTPS://A.example:443,http://b.example:8080 "
    assert parse_origins(value) == ["https://a.example", "http://b.example:8080"]
    assert parse_origins(["https://a.example"]) == ["https://a.example"]
    assert parse_origins("") == []
    assert parse_origins(None) == []


def test_a_wildcard_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="not '\\*'"):
        parse_origins("https://a.example, *")


def test_the_setting_reads_a_comma_separated_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("REJOINDER_EMBED_ORIGINS", "https://a.example,http://localhost:9000")
    settings = Settings(data_dir=tmp_path)
    assert settings.embed_origins == ["https://a.example", "http://localhost:9000"]


def test_a_bad_setting_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("REJOINDER_EMBED_ORIGINS", "https://a.example/blog")
    with pytest.raises(ValidationError, match="leave out any path"):
        Settings(data_dir=tmp_path)


def test_frame_ancestors_lists_exactly_the_origins():
    assert frame_ancestors([]) == "frame-ancestors 'none'"
    assert (
        frame_ancestors(["https://a.example", "http://localhost:9000"])
        == "frame-ancestors https://a.example http://localhost:9000"
    )


@pytest.mark.parametrize(
    "color",
    [
        "#fff",
        "#FFFA",
        "#3b5bdb",
        "#3b5bdb80",
        "rgb(0, 0, 0)",
        "rgba(255,255,255,0.5)",
        "rgb(1,2,3)",
    ],
)
def test_good_colors_pass_unchanged(color):
    assert check_color(color) == color


@pytest.mark.parametrize(
    "color",
    [
        "red",
        "#ff",
        "#fffff",
        "#ggg",
        "rgb(256, 0, 0)",
        "rgb(0,0)",
        "rgba(0, 0, 0, 2)",
        "url(https://evil.example/x.png)",
        "var(--x)",
        "#fff; background: url(x)",
        "#fff}body{display:none",
        "expression(alert(1))",
        "rgb(0,0,0) !important",
        "hsl(0, 0%, 0%)",
    ],
)
def test_anything_else_is_not_a_color(color):
    with pytest.raises(ValueError, match="colour"):
        check_color(color)


@pytest.mark.parametrize(
    ("font", "css"),
    [
        ("Georgia", '"Georgia"'),
        ("Helvetica  Neue, Arial,sans-serif", '"Helvetica Neue", "Arial", sans-serif'),
        ("Source_Serif-4, SERIF", '"Source_Serif-4", serif'),
        ("system-ui", "system-ui"),
    ],
)
def test_fonts_are_requoted(font, css):
    assert check_font(font) == css


@pytest.mark.parametrize(
    "font",
    [
        "Georgia;}",
        '"Georgia"',
        "Georgia'",
        "Comic Sans\\",
        "url(x)",
        "Arial,,serif",
        "Arial, ",
        "a,b,c,d,e,f,g,h,i",
        "x" * 201,
        "Ünïcode",
        "Arial</style>",
    ],
)
def test_fonts_outside_the_safe_characters_are_refused(font):
    with pytest.raises(ValueError, match="font"):
        check_font(font)


def test_options_keep_only_what_was_given_as_css_properties():
    options = EmbedOptions(
        url="https://blog.example/a",
        origin="https://blog.example",
        accent="#c2410c",
        font="Georgia",
    )
    assert options.css_properties() == {"--rj-accent": "#c2410c", "--rj-font": '"Georgia"'}
    assert options.theme == "auto"


@pytest.mark.parametrize(
    "extra",
    [{"theme": "sepia"}, {"accent": "red"}, {"font": "a;b"}, {"onload": "x"}, {"url": ""}],
)
def test_options_refuse_unknown_and_bad_values(extra):
    query = {"url": "https://blog.example/a", "origin": "https://blog.example", **extra}
    with pytest.raises(ValidationError):
        EmbedOptions.model_validate(query)


def test_the_widget_scripts_stay_small():
    """embed.js loads on other people's pages, the frame script on every embedded thread."""
    names = ["embed.js", "embed-frame.js"]
    gzipped = sum(len(gzip.compress((STATIC / name).read_bytes(), 9)) for name in names)
    assert gzipped < 20 * 1024, f"{names} are {gzipped} bytes gzipped"
