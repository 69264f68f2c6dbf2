"""Accounts in a browser: sign up, confirm by the mailed link, sign in, keep an Indian address, sign
out; password reset; and nothing on any page tells whether an account exists."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, axe, body, sign_in

LINK = re.compile(r"https?://\S+")


def mailed_link(message) -> str:
    return LINK.search(body(message))[0]


def test_sign_up_confirm_sign_in_add_an_indian_address_sign_out(open_page, shop, mailbox, shot):
    page = open_page("mobile", language="en")
    page.goto("/shop/in/")
    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    page.get_by_label("Email address").fill("asha@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [confirmation] = mailbox()
    assert confirmation["To"] == "asha@example.com"
    assert confirmation["Subject"] == "Millet: Confirm your email address"
    page.goto(mailed_link(confirmation))
    expect(page.get_by_text("Confirm that asha@example.com is your email address.")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    sign_in(page, "asha@example.com")
    assert page.url.endswith("/account/")
    expect(page.get_by_text("Signed in as").first).to_be_visible()

    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Addresses", exact=True
    ).click()
    page.get_by_role("link", name="Add an address in India").click()
    page.get_by_label("Recipient").fill("Asha Rao")
    page.get_by_label("Mobile number").fill("98765 43210")
    page.get_by_label("Address", exact=True).fill("12 MG Road")
    page.get_by_label("City").fill("Bengaluru")
    page.get_by_label("PIN code").fill("012345")
    page.get_by_role("button", name="Save address").click()
    # Refused inline: the state is missing and a PIN code never starts with 0.
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.get_by_label("PIN code").get_attribute("aria-invalid") == "true"
    expect(page.get_by_text("A PIN code has six digits and does not start with 0.")).to_be_visible()
    state_error = page.get_by_label("State or union territory").get_attribute("aria-describedby").split()[0]
    assert page.locator(f"#{state_error}").inner_text().strip() == "This field is required."
    shot(page, "address-errors-mobile")
    page.get_by_label("State or union territory").select_option(label="Karnataka")
    page.get_by_label("PIN code").fill("560001")
    page.get_by_role("button", name="Save address").click()

    expect(page.get_by_text("The address is saved.")).to_be_visible()
    address = page.get_by_role("main").get_by_role("listitem").filter(has_text="Asha Rao")
    expect(address.get_by_text("Bengaluru, Karnataka 560001")).to_be_visible()
    expect(address.get_by_text("GST state code 29")).to_be_visible()
    shot(page, "addresses-mobile")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/account/addresses/")
    assert "/account/login/" in page.url


def test_sign_up_with_a_taken_address_answers_the_same(open_page, shop, make_user, mailbox):
    """The page is the same as for a new address; only the mailbox's owner learns that an account
    already uses it (allauth's enumeration prevention)."""
    make_user("meera", email="meera@example.com")
    page = open_page("desktop", language="en")
    page.goto("/account/signup/")
    page.get_by_label("Email address").fill("meera@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [notice] = mailbox()
    assert notice["Subject"] == "Millet: You already have a Millet account"


def test_password_reset_never_tells_whether_an_account_exists(open_page, shop, make_user, mailbox):
    make_user("kiran", email="kiran@example.com")
    page = open_page("desktop", language="en")
    answers = []
    for email in ("nobody@example.com", "kiran@example.com"):
        page.goto("/account/password/reset/")
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Send the link").click()
        answers.append(page.get_by_role("main").inner_text())
    assert answers[0] == answers[1]
    unknown, known = mailbox()
    assert unknown["To"] == "nobody@example.com" and "no account uses it" in body(unknown)
    assert known["To"] == "kiran@example.com"

    page.goto(mailed_link(known))
    page.get_by_label("New password", exact=True).fill("another-long-passphrase")
    page.get_by_label("New password again").fill("another-long-passphrase")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    sign_in(page, "kiran", "another-long-passphrase")
    assert page.url.endswith("/account/")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "https:evil.example"])
def test_sign_in_never_redirects_off_the_site(open_page, shop, make_user, live_server, target):
    make_user("priya", email="priya@example.com")
    page = open_page("desktop", language="en")
    sign_in(page, "priya", next_url=target)
    assert page.url == f"{live_server.url}/account/"


def test_failed_sign_ins_are_throttled_by_the_shared_limiter(open_page, shop, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user("rahul", email="rahul@example.com")
    page = open_page("desktop", language="en")
    sign_in(page, "rahul", "wrong-password")
    expect(page.get_by_text("The account name or the password is not right.")).to_be_visible()
    sign_in(page, "rahul", "wrong-password")  # the second failure reaches the limit
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    sign_in(page, "rahul")  # the right password, but the account name is locked out for now
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    assert page.get_by_role("alert").inner_text() == "too many failed sign-ins; try again later"


@pytest.mark.parametrize("language", ["zh-hans", "hi", "de"])
def test_the_account_page_fits_a_phone_in_every_language(open_page, shop, make_user, language, shot):
    """Its row of links scrolls on its own: in Chinese it once stretched the page to 1,008 px."""
    make_user("mei")
    page = open_page("mobile", language=language)
    sign_in(page, "mei")
    page.goto("/account/")
    expect(page.locator(".side-nav a[aria-current=page]")).to_be_visible()
    assert axe(page) == []  # with the reflow check: nothing wider than the screen
    shot(page, f"account-{language}-mobile")
