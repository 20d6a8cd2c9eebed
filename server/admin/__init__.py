"""The ``schouw`` command: its parser and one module per command group, and the demo world.

The admin package imports the domains and the storage layer; nothing below imports it.
"""
