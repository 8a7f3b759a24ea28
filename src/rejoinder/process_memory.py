"""Process-wide memory settings for a server worker, applied once when the app is built."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import sys

log = logging.getLogger(__name__)

# glibc's mallopt parameter number for M_ARENA_MAX (malloc.h).
_M_ARENA_MAX = -8
# Two arenas: the event loop's thread and the database driver's threads. glibc's default (8
# per core) gives each aiosqlite connection thread an arena of its own, whose freed memory
# stays fragmented in RSS: 10-12 MB more per worker after the bulk-set benchmark (issue 8).
ARENAS = 2


@functools.cache
def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas, as ``MALLOC_ARENA_MAX`` would; False where not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    applied: bool = mallopt(_M_ARENA_MAX, ARENAS) == 1
    if not applied:
        log.debug("mallopt(M_ARENA_MAX) refused; keeping the default arenas")
    return applied


def freeze_startup_objects() -> None:
    """Move everything allocated so far (modules, routes, models) out of the collector's way.

    A full collection walks every tracked object; after start-up that is hundreds of
    thousands of objects that live as long as the process, and each gen-2 pass over them
    stalls every request the worker holds for tens of milliseconds.
    """
    gc.collect()
    gc.freeze()
