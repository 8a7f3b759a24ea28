"""Live updates: the broker that fans messages out, and the server-sent event stream."""
