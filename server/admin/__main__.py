"""``python -m server.admin``: the ``schouw`` command."""

from server.admin.cli import main

raise SystemExit(main())
