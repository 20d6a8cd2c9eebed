"""Driving the field app like an inspector: log in, open the checklist, answer, sync."""

from __future__ import annotations

from typing import Any

from tests.support import PASSWORD

TIMEOUT = 30_000


def open_app(
    browser: Any, base_url: str, init_script: str | None = None, **context_args: Any
) -> tuple[Any, Any]:
    """A fresh context (own storage) at 390x844 and a page on the app.

    ``init_script`` runs before the app's own scripts on every page load (set before the
    first navigation, so no reload races the service worker's installation).
    """
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, **context_args
    )
    context.set_default_timeout(TIMEOUT)
    if init_script is not None:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    return context, page


def log_in(page: Any, username: str) -> None:
    """Log in and wait until the assigned inspection and its template are on the device."""
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("main li.inspection a.card-link")  # on the work list (any section)
    # Installing precaches the whole shell; on a loaded 2-core CI machine that can take long.
    wait_until(page, "() => navigator.serviceWorker.controller !== null", timeout_s=90)
    wait_until(
        page,
        """async () => {
          const s = await import('/js/store.js');
          return (await s.records('template')).length > 0;
        }""",
    )


def wait_until(page: Any, predicate: str, arg: Any = None, timeout_s: float = 30) -> None:
    """Poll a JS predicate through CDP. (Playwright's wait_for_function polls with eval,
    which the app's CSP, script-src 'self', rightly forbids.)"""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        page.wait_for_timeout(100)


def open_checklist(page: Any, checklist_id: str) -> None:
    """Go to the checklist screen (from the device's own data)."""
    page.goto(f"/#/checklist/{checklist_id}")
    page.wait_for_selector("form.checklist")


def choose(page: Any, item: str, option: str) -> None:
    """Pick a radio option of an item and wait until the edit is stored."""
    page.check(f"#item-{item}--{option}")
    page.wait_for_selector(f"#block-{item} [data-marker]")


def fill(page: Any, item: str, value: str) -> None:
    """Type into a text-like item and leave it (which commits it)."""
    field = page.locator(f"#item-{item}")
    field.fill(value)
    field.blur()  # the browser fires "change" when the field loses focus, as for a user
    page.wait_for_selector(f"#block-{item} [data-marker]")


def sync_and_wait_safe(page: Any, timeout: int = 60_000) -> None:
    """Press "Nu synchroniseren" and wait for "Veilig om in te leveren"."""
    page.click("#sync-now")
    page.wait_for_selector("#safe[data-safe=true]", timeout=timeout)


def outbox(page: Any) -> list[dict[str, Any]]:
    """The device's outbox as stored in IndexedDB."""
    result: list[dict[str, Any]] = page.evaluate(
        "async () => (await import('/js/store.js')).outbox()"
    )
    return result


def api_as(base_url: str, username: str, method: str, path: str, body: Any) -> Any:
    """Call the API as another user (e.g. a team lead on a laptop)."""
    import json
    import urllib.request

    from server.lib.ids import uuid7

    def call(p: str, data: Any, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            base_url + p, data=json.dumps(data).encode(), headers=headers, method=method
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    login = {"username": username, "password": PASSWORD, "device_id": uuid7()}
    req = urllib.request.Request(
        base_url + "/api/v1/auth/login",
        data=json.dumps(login).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        token = json.loads(resp.read())["access_token"]
    return call(path, body, token)
