"""Sync v1: protocol structs, push, pull, merge, conflicts."""
