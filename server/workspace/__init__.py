"""The workspace: the team lead's server-rendered screens at ``/regie``.

Pages render from the same services and the same visibility projection
(:mod:`server.cases.visibility`) as pull and the REST API; the workspace runs no SQL of its
own (queries it needs live in the owning domain's repository or read module) and keeps no
client-side data model. Jinja2 templates through Litestar's template support, htmx for
partial updates, its SSE extension for the live dashboard; all browser libraries are pinned
in ``pwa/package.json`` and served from our own origin (:mod:`server.workspace.assets`).

Layout:

- :mod:`~server.workspace.routes` — the ``/regie`` router: :data:`~server.workspace.routes.PAGES`
  lists every handler; session middleware, CSRF guard and HTML error pages are set there.
- :mod:`~server.workspace.security` — session cookie, :class:`SessionMiddleware`,
  :func:`csrf_guard`, same-origin check. Sessions themselves live in
  :mod:`server.auth.sessions` (their own table, token stored hashed).
- :mod:`~server.workspace.rendering` — template config, :func:`page` (full page with the
  common context), navigation, Dutch labels and date filters.
- one module per screen (``overview``, ``cases``, ``signals``, ``devices``, …) and its
  templates in ``templates/`` (each extends ``base.html``); ``static/`` holds our CSS.

How to add a page
-----------------

1. **Route.** Write a handler in a screen module, path relative to ``/regie``::

       @get("/zaken/{case_id:str}", include_in_schema=False, name="workspace-case")
       async def case_file(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
           me = session_of(request).principal          # never None behind the middleware
           db: Database = request.app.state.db
           view = await db.read(lambda c: case_view(c, reader_of(me), case_id))
           if view is None:
               raise case_not_found(case_id)           # 404, never 403, for a case not on
           return page(request, "dossier.html", active="zaken", title=view.reference,
                       view=view)

   and add it to ``PAGES`` in :mod:`~server.workspace.routes`.
2. **Template.** ``templates/<name>.html`` starting with ``{% extends "base.html" %}`` and
   filling ``{% block content %}``. Autoescaping is on and undefined names fail loudly. No
   inline ``style``/``script`` and no ``hx-on``/``js:`` attributes: the CSP forbids them.
3. **Guard.** Every route is behind the session middleware (team leads and admins only)
   unless its ``opt`` has ``PUBLIC``. Use ``guards=[requires_teamlead]`` /
   ``[requires_admin]`` (:mod:`server.auth.guards`) for role-only screens; who may see or
   change *which data* is decided only by the visibility module through the services.
4. **CSRF on forms.** Every non-GET route is checked by :func:`csrf_guard`: a plain form
   carries ``<input type="hidden" name="_csrf" value="{{ csrf }}">``; htmx requests send the
   token automatically (``hx-headers`` on ``<body>``). Nothing to do in the handler. On a
   refused form, re-render it with the entered values and a Dutch message per field
   (status 422), as the signal form does.
5. **Tests.** Add a fixture for the page to ``PAGES`` in ``tests/workspace_visibility.py``
   (the URLs to render for a reader; a GET route without one fails
   ``tests/integration/test_workspace_visibility.py``, which renders every page as every
   kind of reader and looks for hidden sentinels), a row in the authorization matrix, and
   an axe check in the browser tests.

Errors on workspace routes render as an HTML page with the problem's Dutch title and detail
for a browser; htmx and scripts get the same problem as ``application/problem+json``.
"""
