"""The database layer: engine set-up, SQLite write locking, connection health, row counters, search, Redis."""
