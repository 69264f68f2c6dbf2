"""The browser test harness: Millet served by pytest-django's live server, driven by Playwright
through Debian's Chromium (never a downloaded browser). See docs/WEB.md, "Browser tests".

- ``browser``: one headless Chromium per run; missing Chromium fails under CI and skips elsewhere.
- ``open_page(viewport="mobile"|"desktop", language=None, javascript=True, accept_language=None)``:
  a page in a fresh context (its own cookies), 360x740 or 1280x800. Pages run under the
  production Content-Security-Policy; a script error or CSP violation fails the test.
- ``shop``: markets CN, IN and DE with a small priced catalog (prices that show each locale's
  grouping: ¥1,999.00, ₹1,24,999.00, 1.234,56 €).
- ``make_user(...)``, ``sign_in(page, username, password)``, ``axe(page)``, ``shot(page, name)``.

Tests look at what a person sees: roles, labels and text (``page.get_by_role``), never CSS classes.
What must be on the page is asserted with Playwright's ``expect(...)``, which waits for it: a bare
``locator.is_visible()`` answers at once, and right after a click the next page may not be parsed
yet (CI failed once on exactly that).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import expect

# The same patience for expect(...) as for actions (open_page's default timeout), on a loaded CI box.
expect.set_options(timeout=10_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORTS = {"mobile": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# axe-core's impact levels that fail a page (team charter: 0 serious or critical violations).
FAILING_IMPACTS = {"serious", "critical"}
PASSWORD = "a-long-test-passphrase"


def pytest_collection_modifyitems(items):
    """Every test under tests/browser is a ``browser`` test (selectable with -m) and a ``fullstack``
    one: it runs once, in scripts/test.sh's PostgreSQL pass, where Redis is there too (the flash
    sale's Redis gate) and the database is the production one."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.fullstack)


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module (a Playwright left running would clash with another module's own)."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: apt-get install chromium (scripts/services.sh does)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on the test's thread; Django then refuses ORM
    # calls from it unless told that this thread is not serving async code (Django's documented
    # switch for exactly this case). The live server's own threads are unaffected.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def is_error(message) -> bool:
    """A console error, except the browser's note that the page itself answered 4xx (tests ask
    for 404s and 429s on purpose); a failed script or stylesheet still counts."""
    if message.type != "error":
        return False
    document = message.location.get("url") == message.page.url if message.page else False
    return not (document and message.text.startswith("Failed to load resource"))


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable]:
    """Opens pages on the live server; each page's script errors fail the test at teardown."""
    contexts, errors = [], []

    def open_(
        viewport: str = "desktop",
        *,
        language: str | None = None,
        javascript: bool = True,
        accept_language: str | None = None,
    ):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=VIEWPORTS[viewport],
            java_script_enabled=javascript,
            locale=(accept_language or "en-US").split(",")[0].split(";")[0],
            extra_http_headers={"Accept-Language": accept_language} if accept_language else None,
        )
        context.set_default_timeout(10_000)
        if language:
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if is_error(msg) else None)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, "the pages logged errors:\n" + "\n".join(errors)


@pytest.fixture
def shop(transactional_db):
    """Markets CN, IN and DE and a catalog priced in each (through the catalog's services)."""
    from millet.accounts.actor import SYSTEM
    from millet.catalog import services as catalog
    from millet.regions.services import clear_caches, ensure_default_markets

    ensure_default_markets()
    clear_caches()
    products = [
        ("mi-phone", "Mi Phone 6", "phone", "PHONE-6", {"CN": "1999", "IN": "24999", "DE": "1234.56"}),
        ("mi-laptop", "Mi Notebook Pro", "laptop", "NOTE-PRO", {"CN": "6999", "IN": "124999", "DE": "1499"}),
        ("mi-band", "Mi Band 3", "band", "BAND-3", {"CN": "169", "IN": "1999", "DE": "29.99"}),
    ]
    for slug, name, category, sku, prices in products:
        catalog.create_product(slug, name, category, actor=SYSTEM)
        catalog.create_sku(sku, slug, name, serialized=False, actor=SYSTEM)
        for market, amount in prices.items():
            catalog.set_price(market, sku, Decimal(amount), actor=SYSTEM)
    return products


@pytest.fixture
def make_user(transactional_db) -> Callable:
    """A person who can sign in: ``make_user("ravi", email="ravi@example.com", staff=False)``."""
    from millet.accounts.services import create_user

    def make(username: str, *, email: str = "", password: str = PASSWORD, staff: bool = False):
        user = create_user(username, password=password, email=email)
        if staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        return user

    return make


def sign_in(page, username: str, password: str = PASSWORD, *, next_url: str = "") -> None:
    """Signs in through the sign-in form, as a person would, in whatever language the page is."""
    from django.utils import translation

    page.goto("/account/login/" + (f"?next={next_url}" if next_url else ""))
    with translation.override(page.locator("html").get_attribute("lang")):
        login, secret, button = (
            translation.gettext(text) for text in ("Username or email address", "Password", "Sign in")
        )
    page.get_by_label(login, exact=True).fill(username)
    page.get_by_label(secret, exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name=button).click()
    page.wait_for_load_state()


def axe(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each, and
    a line if the page is wider than the screen (WCAG 1.4.10 Reflow: nothing may scroll sideways
    at 320 CSS px; the account page once stretched to 1,008 px at 360 in Chinese).

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
    page runs under the same policy production sends.
    """
    page.evaluate(AXE.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [
        f"{page.url} [{v['impact']}] {v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]
    width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > screen:
        found.append(f"{page.url} [serious] reflow: the page is {width} px wide on a {screen} px screen")
    return found


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MILLET_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(screenshots) -> Callable:
    """``shot(page, "name")`` saves a full-page PNG (MILLET_SCREENSHOTS, else a tmp dir) and returns it."""

    def take(page, name: str) -> Path:
        path = screenshots / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def mailbox(settings, tmp_path) -> Callable[[], list[Message]]:
    """The default email backend (files), pointed at a tmp dir: ``mailbox()`` is every message
    written so far, oldest first, parsed (``message["To"]``, ``body(message)``)."""
    folder = tmp_path / "mail"
    settings.EMAIL_BACKEND = "millet.core.mail.PrivateFileEmailBackend"
    settings.EMAIL_FILE_PATH = folder

    def messages() -> list[Message]:
        if not folder.exists():
            return []
        found = []
        for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if raw.strip():
                    found.append(message_from_bytes(raw, policy=policy.default))
        return found

    return messages


def body(message: Message) -> str:
    """The plain-text body of a mail, decoded."""
    return message.get_body(preferencelist=("plain",)).get_content()
