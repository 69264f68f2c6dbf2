"""millet.js's send-once rule for plain POST forms, in a real browser, on a page of its own whose
forms post to a route the test holds: a request stays in flight for as long as the test wants.

A repeat within the burst is dropped (a double click); a later one is a retry and goes (after the
Stop button nothing else would ever send the form again); a scanner form sends every scan."""

from __future__ import annotations

PAGE = """<!doctype html><html lang="en"><head><title>Send once</title>
<script defer src="/static/web/millet.js"></script></head><body><main>
<form method="post" action="/send-once-post/plain"><button>Send</button></form>
<form method="post" action="/send-once-post/scan" data-scanner>
<input name="code" data-scan aria-label="Scan"><button>Add</button></form>
</main></body></html>"""


def held_posts(page) -> list:
    """Serve PAGE at /send-once/ and hold every POST from it (never answered)."""
    page.route("**/send-once/", lambda route: route.fulfill(body=PAGE, content_type="text/html"))
    held: list = []
    page.route("**/send-once-post/**", lambda route: held.append(route.request.url))
    page.goto("/send-once/")
    page.wait_for_function("() => document.readyState === 'complete'")
    return held


def clicker(page, name: str):
    """Clicks on a button that do not wait for the navigation a held request leaves pending (a
    locator's click and bounding box would): the button's place is read once, before."""
    box = page.get_by_role("button", name=name).bounding_box()
    return lambda: page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_plain_form_sends_once_per_burst_and_again_on_a_later_retry(open_page):
    page = open_page("desktop", language="en")
    held = held_posts(page)
    send = clicker(page, "Send")
    send()
    while not held:  # the first request is on its way (before, the browser would merge the two)
        page.wait_for_timeout(20)
    send()  # the double click's second
    page.wait_for_timeout(300)
    assert [url.rsplit("/", 1)[1] for url in held] == ["plain"]
    page.wait_for_timeout(3_000)  # the burst is over: a retry after Stop, or on a slow line
    send()
    page.wait_for_timeout(300)
    assert len(held) == 2


def test_a_scanner_form_sends_every_scan(open_page):
    page = open_page("desktop", language="en")
    held = held_posts(page)
    page.get_by_label("Scan").focus()
    page.keyboard.type("SER1\n")  # a hand scanner types, then presses Enter
    page.wait_for_timeout(200)
    page.keyboard.type("SER2\n")
    page.wait_for_timeout(300)
    assert len(held) == 2
