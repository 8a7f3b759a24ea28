"""Password reset by e-mail: single-use, expiring tokens stored only as digests."""
