"""A web worker does not load what only some code paths need (issue 8: 150 MB per worker).

datasketch (with numpy and scipy, ~90 MB), trafilatura (~30 MB), lxml (~6 MB) and the
classifier's scikit-learn (~130 MB) are imported where they are used: fingerprinting and
extracting fetched pages, parsing an XML import, scoring a comment. Checked in a fresh
interpreter, since this test process may have imported them already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("datasketch", "numpy", "scipy", "trafilatura", "lxml", "sklearn", "profanity_check")

PROBE = """
import json, sys
from rejoinder.app import create_app
from rejoinder.settings import Settings
create_app(Settings())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_by_the_app(tmp_path: Path) -> set[str]:
    env = {
        **os.environ,
        "REJOINDER_DATA_DIR": str(tmp_path),
        "REJOINDER_SECRET_KEY": "test-secret-key",
        "REJOINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'lazy.db'}",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_app_starts_without_the_heavy_optional_modules(tmp_path):
    loaded = loaded_by_the_app(tmp_path)
    assert "fastapi" in loaded  # the probe did build the app
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_lazy_paths_still_load_what_they_need():
    from rejoinder.identity import fingerprints
    from rejoinder.pages.metadata import extract

    text = " ".join(f"word{n} and more words" for n in range(100))
    assert fingerprints.signature(text) is not None
    html = (
        f"<html><head><title>T</title></head><body><article><p>{text}</p></article></body></html>"
    )
    assert "word1" in extract(html, "https://news.example/a").text
