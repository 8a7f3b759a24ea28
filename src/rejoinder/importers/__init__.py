"""Importers: Disqus, WordPress, Isso and plain-text threads (and our own JSON) into pages."""
