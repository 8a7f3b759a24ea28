"""CSRF tokens: bound to the session cookie, or to the pre-session cookie when signed out."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from rejoinder.settings import Settings
from rejoinder.web import csrf


def make_request(cookies: dict[str, str], secret: str = "k1") -> Request:
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(secret_key=secret)))
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"cookie", header.encode())] if header else [],
        "app": app,
        "state": {},
    }
    return Request(scope)


def test_session_token_round_trips():
    request = make_request({"rejoinder_session": "rj_abc"})
    token = csrf.token_for(request)
    assert csrf.is_valid(make_request({"rejoinder_session": "rj_abc"}), token)


@pytest.mark.parametrize(
    "cookies",
    [
        {"rejoinder_session": "rj_other"},
        {},
        {"rejoinder_csrf": "rj_abc"},
    ],
)
def test_token_does_not_fit_another_browser(cookies):
    token = csrf.token_for(make_request({"rejoinder_session": "rj_abc"}))
    assert not csrf.is_valid(make_request(cookies), token)


def test_token_depends_on_the_secret_key():
    token = csrf.token_for(make_request({"rejoinder_session": "rj_abc"}, secret="k1"))
    assert not csrf.is_valid(make_request({"rejoinder_session": "rj_abc"}, secret="k2"), token)


def test_anonymous_browser_gets_a_presession_cookie_once():
    request = make_request({})
    first = csrf.token_for(request)
    assert csrf.token_for(request) == first
    minted = request.state.csrf_minted
    assert csrf.is_valid(make_request({"rejoinder_csrf": minted}), first)


def test_presession_token_is_refused_once_signed_in():
    # A pre-session cookie planted by a sibling subdomain must not unlock an account.
    anon = csrf.token_for(make_request({"rejoinder_csrf": "planted"}))
    both = make_request({"rejoinder_csrf": "planted", "rejoinder_session": "rj_abc"})
    assert not csrf.is_valid(both, anon)


@pytest.mark.parametrize("token", [None, "", "x" * 1000, "é"])
def test_garbage_tokens_are_invalid(token):
    assert not csrf.is_valid(make_request({"rejoinder_session": "rj_abc"}), token)
