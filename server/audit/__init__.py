"""Hash-chained, append-only audit log."""
