"""Schemathesis fuzzes every operation of the served OpenAPI schema: no 5xx, no response
that breaks its own schema."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
import schemathesis
from conftest import make_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from rejoinder.app import create_app

# Examples per operation. `make test` runs a fixed, derandomized set, the same on every run
# and machine (a failure reproduces); REJOINDER_FUZZ_EXAMPLES=200 (say) explores further.
EXAMPLES = int(os.environ.get("REJOINDER_FUZZ_EXAMPLES", "15"))
DERANDOMIZE = "REJOINDER_FUZZ_EXAMPLES" not in os.environ


@pytest.fixture(scope="module")
def fuzz_app(sqlite_template, tmp_path_factory):
    directory = tmp_path_factory.mktemp("fuzz")
    shutil.copyfile(sqlite_template, directory / "fuzz.db")
    # Live streams end after their lifetime; a short one keeps each fuzzed stream brief.
    settings = make_settings(
        f"sqlite:///{directory / 'fuzz.db'}", directory, stream_lifetime_seconds=0.05
    )
    app = create_app(settings)
    yield app
    asyncio.run(app.state.db.dispose())


def test_api_never_fails_or_breaks_its_schema(fuzz_app):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=DERANDOMIZE,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call()
            # The fuzzed instance has no SMTP server: password resets answer a deliberate,
            # documented 503 "mail-unavailable". Any other 5xx is a bug.
            deliberate = response.status_code == 503 and "mail-unavailable" in response.text
            assert response.status_code < 500 or deliberate, (
                f"{case.method} {case.formatted_path}: {response.text}"
            )
            case.validate_response(
                response, checks=(response_schema_conformance, content_type_conformance)
            )

        check()
        checked.append(operation.label)
    assert len(checked) >= 10, checked
