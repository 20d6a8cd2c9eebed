"""Web wiring beside ``server/app.py``: serving the PWA and the app's start-up hooks."""
