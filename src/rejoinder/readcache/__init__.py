"""The serialized-thread cache: anonymous thread reads answered without touching the ORM.

Most thread reads come from readers who are not signed in (the extension's side panel, the
embed under an article, a link shared on a forum), and for them a thread is the same bytes
until somebody writes to it. So the JSON of an anonymous read is kept per exact query string
(``store.ThreadCache``), and ``front.ThreadCacheFront``, an ASGI layer in front of the router,
answers a repeat read from it (``200`` or ``304`` by ETag) before FastAPI sees the request.

Whether a kept body is still current is the hard part (``freshness``):

- SQLite: every hit asks the database for the page's ``thread_version`` through a plain
  synchronous ``sqlite3`` connection (a primary-key lookup of a few microseconds in WAL mode,
  never blocked by writers). Any process that writes bumps the version, so workers stay
  coherent with no messaging at all.
- PostgreSQL: a round trip per hit would cost more than the rest of the read, so entries are
  evicted instead: at once in the process that committed the change (a session
  ``after_commit`` hook), and in the other workers through the realtime broker's Redis
  channel. While Redis is unreachable, or when a message may have been lost, the cache is
  bypassed and emptied. With several workers and no Redis the cache stays off.

Every change to what a thread read returns goes through ``pages.queries.bump_thread`` (or
marks the page with ``touched.mark_page``), which is what both mechanisms rely on.
"""
