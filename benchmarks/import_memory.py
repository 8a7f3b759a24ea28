"""Peak memory of importing a ~100 MB export of each XML format (the budget is 300 MB RSS).

    .venv/bin/python benchmarks/import_memory.py [--megabytes 100] [--formats disqus wordpress]

For each format the export is generated in a temporary directory (threads of 50 comments,
~1 KB messages, some replies to earlier comments), then ``rejoinder import <format>`` runs
in a child process against a fresh, migrated SQLite database. The figure is that child's
own peak RSS: ``ru_maxrss`` from ``os.wait4`` on its pid, so ``rejoinder migrate`` (another
child) cannot be mistaken for it. ``memory.py import`` runs the same.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

MESSAGE = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 17 + "</p>"
POSTS_PER_THREAD = 50


def _parent_of(post: int, n: int) -> int | None:
    """Two replies in three after the first eight posts of a thread, to a recent post."""
    return post - 1 - n % 7 if n % 3 and n > 7 else None


def write_disqus(out: TextIO, target: int) -> int:
    posts = 0
    out.write(
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
    )
    thread = 0
    while out.tell() < target:
        thread += 1
        out.write(
            f'<thread dsq:id="t{thread}"><link>https://bench.example/post/{thread}</link>'
            f"<title>Post {thread}</title></thread>\n"
        )
        for n in range(POSTS_PER_THREAD):
            posts += 1
            parent = _parent_of(posts, n)
            parent_tag = f'<parent dsq:id="p{parent}"/>' if parent else ""
            out.write(
                f'<post dsq:id="p{posts}"><message><![CDATA[{MESSAGE}]]></message>'
                f"<createdAt>2016-01-01T00:{n:02d}:00Z</createdAt>"
                "<isDeleted>false</isDeleted><isSpam>false</isSpam>"
                f"<author><name>Reader {posts % 5000}</name><isAnonymous>false</isAnonymous>"
                f"<username>reader{posts % 5000}</username></author>"
                f'<thread dsq:id="t{thread}"/>{parent_tag}</post>\n'
            )
    out.write("</disqus>\n")
    return posts


def write_wordpress(out: TextIO, target: int) -> int:
    comments = 0
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>'
        "<title>Bench</title><link>https://bench.example</link>\n"
    )
    item = 0
    while out.tell() < target:
        item += 1
        out.write(
            f"<item><title>Post {item}</title><link>https://bench.example/post/{item}/</link>"
            f"<wp:post_id>{item}</wp:post_id><wp:comment_status>open</wp:comment_status>\n"
        )
        for n in range(POSTS_PER_THREAD):
            comments += 1
            parent = _parent_of(comments, n) or 0
            out.write(
                f"<wp:comment><wp:comment_id>{comments}</wp:comment_id>"
                f"<wp:comment_author>Reader {comments % 5000}</wp:comment_author>"
                f"<wp:comment_author_email>r{comments % 5000}@mail.example"
                "</wp:comment_author_email>"
                f"<wp:comment_date_gmt>2016-01-01 00:{n:02d}:00</wp:comment_date_gmt>"
                f"<wp:comment_content><![CDATA[{MESSAGE}]]></wp:comment_content>"
                "<wp:comment_approved>1</wp:comment_approved>"
                f"<wp:comment_parent>{parent}</wp:comment_parent>"
                "<wp:comment_type>comment</wp:comment_type>"
                "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>\n"
            )
        out.write("</item>\n")
    out.write("</channel></rss>\n")
    return comments


WRITERS: dict[str, Callable[[TextIO, int], int]] = {
    "disqus": write_disqus,
    "wordpress": write_wordpress,
}


@dataclass
class ImportRun:
    fmt: str
    megabytes: float
    comments: int
    seconds: float
    peak_mb: float

    def line(self) -> str:
        return (
            f"{self.fmt}: {self.megabytes:.1f} MB export, {self.comments:,} comments, "
            f"imported in {self.seconds:.1f} s, peak RSS {self.peak_mb:.0f} MB"
        )


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> float:
    """Run ``argv`` to completion; its own peak RSS in MiB (fails if it fails)."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, argv)
    return usage.ru_maxrss / 1024  # KiB on Linux


def measure(fmt: str, megabytes: int) -> ImportRun:
    directory = Path(tempfile.mkdtemp(prefix="rejoinder-import-bench-"))
    try:
        export = directory / f"{fmt}.xml"
        with export.open("w", encoding="utf-8") as out:
            comments = WRITERS[fmt](out, megabytes * 1_000_000)
        env = {
            **os.environ,
            "REJOINDER_DATA_DIR": str(directory),
            "REJOINDER_DATABASE_URL": f"sqlite:///{directory / 'bench.db'}",
            "REJOINDER_SECRET_KEY": "bench",
        }
        rejoinder = [sys.executable, "-m", "rejoinder"]
        subprocess.run([*rejoinder, "migrate"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        peak = peak_rss_mb([*rejoinder, "import", fmt, str(export)], env)
        return ImportRun(
            fmt, export.stat().st_size / 1e6, comments, time.perf_counter() - started, peak
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--formats", nargs="+", choices=list(WRITERS), default=list(WRITERS))
    args = parser.parse_args()
    for fmt in args.formats:
        print(measure(fmt, args.megabytes).line(), flush=True)


if __name__ == "__main__":
    main()
