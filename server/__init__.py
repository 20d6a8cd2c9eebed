"""Schouw: offline-first field inspections for Dutch regional intervention teams."""

__version__ = "0.1.0"
