"""Storage: one writer connection, read-only readers, numbered SQL migrations."""

from server.db.database import Database, WriteFn

__all__ = ["Database", "WriteFn"]
