"""Signed HTTP callbacks to operators' systems on new comments and reports."""
