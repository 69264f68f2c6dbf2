"""Device protection as a shopper sees it: buying a plan from the order's page, My protection with
the policy, and filing a claim (refused on the form first, then waiting for a decision). At 360 px
in Hindi and on a desktop in English, axe on every screen (which also fails a page wider than it)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone, translation
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in
from tests.browser.test_claims import world  # noqa: F401 (fixture: the world, with the browser tests' passwords)
from tests.finance.insurance.conftest import plan, sell  # noqa: F401 (fixture)


def test_a_shopper_protects_a_phone_and_files_a_claim_on_a_phone_in_hindi(open_page, world, plan, shot):  # noqa: F811
    from millet.insurance.models import Claim, Policy

    order, serial = sell(world, "alice", market="IN")
    page = open_page("mobile", language="hi")
    sign_in(page, "alice")
    page.goto(f"/orders/{order}/")
    with translation.override("hi"):
        t = translation.gettext
        offer = page.get_by_role("region", name=t("Protect your devices"))
        expect(offer.get_by_text(serial)).to_be_visible()
        assert axe(page) == []
        shot(page, "protection-offer-mobile-hi")
        offer.get_by_role("button", name=t("Protect it for %(premium)s") % {"premium": "₹1,499.00"}).click()

        page.wait_for_url("**/account/protection/**")
        policy = Policy.objects.get(serial=serial)
        done = t("%(serial)s is protected: policy %(number)s.") % {"serial": serial, "number": policy.number}
        expect(page.get_by_text(done)).to_be_visible()
        card = page.get_by_role("region", name=serial)
        expect(card.get_by_text(policy.number)).to_be_visible()
        expect(card.get_by_text(t("No claims."))).to_be_visible()
        assert axe(page) == []
        shot(page, "protection-policy-mobile-hi")

        Policy.objects.filter(pk=policy.pk).update(starts_at=timezone.now() - timedelta(days=2))
        card.get_by_text(t("File a claim")).click()
        card.get_by_label(t("What happened"), exact=True).select_option("liquid_damage")
        card.get_by_label(t("When it happened")).fill(
            (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        )
        card.get_by_role("textbox", name=t("Tell us what happened")).fill("Fell into the sink")
        card.get_by_label(t("Amount claimed")).fill("400.00")  # not above the ₹500 excess
        card.get_by_role("button", name=t("Send the claim")).click()
        card = page.get_by_role("region", name=serial)
        expect(card.get_by_text(t("The amount must be more than your excess."))).to_be_visible()
        assert not Claim.objects.exists()
        assert axe(page) == []
        shot(page, "protection-claim-refused-mobile-hi")

        card.get_by_label(t("Amount claimed")).fill("3200.00")
        card.get_by_role("button", name=t("Send the claim")).click()
        claim = Claim.objects.get()
        card = page.get_by_role("region", name=serial)
        expect(card.get_by_text(t("Waiting for a decision"))).to_be_visible()
        expect(card.get_by_text(claim.number)).to_be_visible()
        assert axe(page) == []
        shot(page, "protection-claim-filed-mobile-hi")


def test_my_protection_on_a_desktop_and_nothing_for_another_shopper(open_page, world, plan, shot):  # noqa: F811
    from millet.accounts.actor import actor_for_user
    from millet.insurance import services

    order, serial = sell(world, "alice")
    services.buy_policy(
        actor_for_user(world.users["alice"]), order, serial, plan.code, payment_token="tok_ok"
    )
    page = open_page("desktop", language="en")
    sign_in(page, "alice")
    page.goto("/account/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="My protection").click()
    card = page.get_by_role("region", name=serial)
    expect(card.get_by_text("Mi Care 12 months")).to_be_visible()
    expect(card.get_by_text("CN¥2,000.00")).to_be_visible()
    assert axe(page) == []
    shot(page, "protection-desktop")

    other = open_page("mobile", language="en")
    sign_in(other, "bob")
    other.goto("/account/protection/")
    expect(other.get_by_text("No protection yet")).to_be_visible()
    assert axe(other) == []
    shot(other, "protection-empty-mobile")


def test_a_declined_card_is_said_on_the_units_offer_and_buys_nothing(open_page, world, plan, shot):  # noqa: F811
    from millet.insurance.models import Policy

    order, serial = sell(world, "alice")
    page = open_page("desktop", language="en")
    sign_in(page, "alice")
    page.goto(f"/orders/{order}/")
    offer = page.get_by_role("region", name="Protect your devices")
    offer.get_by_label("Card token").fill("tok_declined")
    with page.expect_response(lambda r: r.url.endswith("/account/protection/buy/")) as answered:
        offer.get_by_role("button", name="Protect it for CN¥199.00").click()
    assert answered.value.status == 402  # the order's page again, not a redirect
    offer = page.get_by_role("region", name="Protect your devices")
    expect(offer.get_by_text("Your card was declined.")).to_be_visible()
    expect(offer.get_by_label("Card token")).to_have_value("tok_declined")
    assert not Policy.objects.exists()
    assert axe(page) == []
    shot(page, "protection-declined-desktop")
