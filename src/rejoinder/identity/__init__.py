"""Which URLs are one article: canonical links, syndicated copies, merging discussions."""
