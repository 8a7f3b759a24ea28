"""Peak memory of importing a ~100 MB Disqus export (the budget is 300 MB RSS).

    .venv/bin/python benchmarks/import_memory.py [--megabytes 100] [--keep]

Generates the export in a temporary directory (threads of 50 posts, ~1 KB messages, replies
to earlier posts), imports it with ``rejoinder import disqus`` into a fresh SQLite database in
a child process, and prints the child's peak RSS (``ru_maxrss`` of the waited-for child).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MESSAGE = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 17 + "</p>"


def generate(path: Path, megabytes: int) -> int:
    target = megabytes * 1_000_000
    posts = 0
    with path.open("w", encoding="utf-8") as out:
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
            for n in range(50):
                posts += 1
                parent = f'<parent dsq:id="p{posts - 1 - n % 7}"/>' if n % 3 and n > 7 else ""
                out.write(
                    f'<post dsq:id="p{posts}"><message><![CDATA[{MESSAGE}]]></message>'
                    f"<createdAt>2016-01-01T00:{n:02d}:00Z</createdAt>"
                    "<isDeleted>false</isDeleted><isSpam>false</isSpam>"
                    f"<author><name>Reader {posts % 5000}</name><isAnonymous>false</isAnonymous>"
                    f"<username>reader{posts % 5000}</username></author>"
                    f'<thread dsq:id="t{thread}"/>{parent}</post>\n'
                )
        out.write("</disqus>\n")
    return posts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="rejoinder-import-bench-"))
    export = directory / "disqus.xml"
    posts = generate(export, args.megabytes)
    size = export.stat().st_size
    print(f"export: {size / 1e6:.1f} MB, {posts:,} posts")
    env = {
        **os.environ,
        "REJOINDER_DATA_DIR": str(directory),
        "REJOINDER_DATABASE_URL": f"sqlite:///{directory / 'bench.db'}",
        "REJOINDER_SECRET_KEY": "bench",
    }
    rejoinder = [sys.executable, "-m", "rejoinder"]
    subprocess.run([*rejoinder, "migrate"], env=env, check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([*rejoinder, "import", "disqus", str(export)], env=env, check=True)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any waited-for child: the import is the largest.
    print(
        f"import: {elapsed:.1f} s, peak RSS {peak_kib / 1024:.0f} MB (migrate: {before / 1024:.0f})"
    )
    if not args.keep:
        for child in directory.iterdir():
            child.unlink()
        directory.rmdir()


if __name__ == "__main__":
    main()
