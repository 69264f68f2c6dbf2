"""axe-core finds no serious or critical violation on any page Millet's web foundation serves, at
360 px and on a desktop, signed out and signed in. Each page is also saved as a screenshot."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe, sign_in

SIGNED_OUT = [
    "/shop/cn/",
    "/shop/in/",
    "/shop/de/",
    "/shop/in/category/laptop/",
    "/shop/in/search/?q=band",
    "/shop/in/search/?q=nothing-like-this",
    "/shop/in/product/mi-laptop/",
    "/account/login/",
    "/account/signup/",
    "/account/password/reset/",
    "/account/password/reset/done/",
    "/account/confirm-email/",
    "/shop/xx/",  # the 404 page
    "/shop/cn/cart/",  # asks to sign in
]
SIGNED_IN = [
    "/account/",
    "/account/addresses/",
    "/account/addresses/new/?market=IN",
    "/account/addresses/new/?market=CN",
    "/account/addresses/new/?market=DE",
    "/account/email/",
    "/account/password/change/",
    "/account/protection/",  # no policies yet
    "/lending/loans/",  # no loans yet
    "/orders/",
    "/devices/",  # no devices yet
    "/shop/in/cart/",  # empty
    "/staff/",
    "/devices/automations/",  # the device owner's pages, without devices yet
    "/devices/automations/new/",
    "/devices/sharing/",
    "/devices/claim/",
    "/devices/updates/",
]


def name_of(path: str) -> str:
    return path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "root"


@pytest.mark.parametrize("viewport", ["mobile", "desktop"])
@pytest.mark.parametrize("language", ["en", "hi"])
def test_no_serious_violation_on_any_page(open_page, shop, make_user, shot, viewport, language):
    from millet.accounts.actor import actor_for_user
    from millet.accounts.postal import AddressFields
    from millet.accounts.services import save_address

    user = make_user("sunita", email="sunita@example.com", staff=True)
    address = save_address(
        actor_for_user(user),
        AddressFields(
            "IN", "Sunita Iyer", "98450 12345", "4 Residency Road", "Bengaluru", "560025", state="29"
        ),
    )
    page = open_page(viewport, language=language)
    found = []
    for path in SIGNED_OUT:
        page.goto(path)
        found += axe(page)
        shot(page, f"{name_of(path)}-{language}-{viewport}")
    sign_in(page, "sunita")
    for path in [*SIGNED_IN, f"/account/addresses/{address.id}/", f"/account/addresses/{address.id}/delete/"]:
        page.goto(path)
        found += axe(page)
        shot(page, f"signed-in-{name_of(path)}-{language}-{viewport}")
    page.goto("/shop/in/")
    page.get_by_role("banner").locator("summary").click()  # the open market and language picker
    found += axe(page)
    assert not found, "\n".join(found)
