"""Fetching the pages people discuss: a fetcher that cannot be aimed inside, and its job queue."""
