"""The shopper's protection pages through the Django client: the order page's offer and buying
from it (once, only within the purchase window), My protection with its policies and claims,
filing a claim (a refusal on the form, 422), a refused purchase answered on the order's page
(402, 409, 422: nothing charged), and nobody reaching another person's policy (404)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import NotFound
from millet.finance.models import LedgerTransfer
from millet.finance.services import balance, total_balance_check
from millet.insurance import services
from millet.insurance.models import Claim, PlanPrice, Policy
from millet.insurance.shopper_views import REFUSALS, terms_quote
from millet.sales import services as sales

pytestmark = pytest.mark.django_db

PREMIUMS = "insurance:premiums:CN:CNY"


def page(world, user: str) -> Client:
    client = Client()
    client.force_login(world.users[user])
    client.cookies["django_language"] = "en"  # China's pages open in Chinese; these tests read English
    return client


def shown_terms(plan: str) -> str:
    """The hidden ``terms`` the order page gives the plan's form: its price terms in China."""
    return terms_quote(services.OfferedTerms.of(PlanPrice.objects.get(plan__code=plan, market_id="CN")))


def buy(client: Client, order: str, serial: str, token: str = "tok_ok", *, follow: bool = True, **changes):
    body = {"order": order, "serial": serial, "plan": "CARE-MI6-12", "card_token": token}
    body["terms"] = shown_terms(body["plan"])
    return client.post("/account/protection/buy/", {**body, **changes}, follow=follow)


def nothing_sold(transfers: int) -> bool:
    """No policy, and no premium on the ledger since ``transfers`` were counted."""
    return not Policy.objects.exists() and LedgerTransfer.objects.count() == transfers


@pytest.fixture
def policy(policy):
    """The conftest's policy, its cover started yesterday: the form takes the incident to the
    minute, and an incident this minute may fall before a cover that started seconds ago."""
    Policy.objects.filter(number=policy["number"]).update(starts_at=timezone.now() - timedelta(days=1))
    return policy


def claim(client: Client, number: str, **changes):
    body = {
        "peril": "accidental_damage",
        "incident_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "description": "dropped on the stairs",
        "amount": "600.00",
        **changes,
    }
    return client.post(f"/account/protection/{number}/claim/", body)


def test_the_order_page_offers_protection_and_buys_it_once(world, plan, sold):
    order, serial = sold
    alice = page(world, "alice")
    html = alice.get(f"/orders/{order}/").content.decode()
    assert "Protect your devices" in html and serial in html and "Protect it for CN¥199.00" in html

    done = buy(alice, order, serial)
    assert done.redirect_chain[0][1] == 302  # post/redirect/get, only once it went through
    assert done.status_code == 200 and done.redirect_chain[-1][0].startswith("/account/protection/#P")
    text = done.content.decode()
    assert f"{serial} is protected" in text and "Mi Care 12 months" in text and "CN¥2,000.00" in text
    resent = buy(alice, order, serial)  # the same purchase again: shown, not charged twice
    assert f"{serial} is already protected." in resent.content.decode()
    assert Policy.objects.filter(serial=serial).count() == 1
    premiums = balance(PREMIUMS)
    assert premiums.credits_posted - premiums.debits_posted == 19900
    assert total_balance_check() == 0  # the premium posted as a balanced transfer
    assert "Protect your devices" not in alice.get(f"/orders/{order}/").content.decode()


def test_a_plan_repriced_since_the_page_was_opened_sells_nothing_and_shows_the_new_terms(world, plan, sold):
    """The buyer decided on the premium, cover and excess the page showed (IDD art. 20): repriced
    when sent, the policy was sold and charged at the new premium without a word."""
    order, serial = sold
    alice = page(world, "alice")
    shown = shown_terms("CARE-MI6-12")
    PlanPrice.objects.filter(plan__code="CARE-MI6-12").update(premium="249.00")
    transfers = LedgerTransfer.objects.count()
    alice.cookies["django_language"] = "zh-hans"
    refused = buy(alice, order, serial, follow=False, terms=shown)
    html = refused.content.decode()
    assert (
        refused.status_code == 409
        and translation.override("zh-hans")(str)(REFUSALS["terms_changed"][1]) in html
    )
    assert "以 ¥249.00 投保" in html and nothing_sold(transfers)  # the offer as it stands now, in Chinese
    bought = buy(alice, order, serial, follow=False, terms=shown_terms("CARE-MI6-12"))
    assert bought.status_code == 302 and Policy.objects.get().premium == Decimal("249.00")


@pytest.mark.parametrize("terms", ["", "[]", '["199.00", "2000.00"]', '["sNaN", "2000.00", "99.00"]', "{"])
def test_a_purchase_whose_shown_terms_are_missing_or_damaged_shows_the_offer_again(world, plan, sold, terms):
    order, serial = sold
    transfers = LedgerTransfer.objects.count()
    refused = buy(page(world, "alice"), order, serial, follow=False, terms=terms)
    assert refused.status_code == 409 and str(REFUSALS["terms_changed"][1]) in refused.content.decode()
    assert nothing_sold(transfers)


def test_no_offer_and_no_sale_outside_the_purchase_window(world, plan):
    alice = actor_for_user(world.users["alice"])
    placed = timezone.now() - timedelta(days=40)
    line = sales.LineRequest("MI6-64", 1)
    order = sales.place_order(alice, market="CN", lines=[line], payment_token="tok_ok", placed_at=placed)
    sales.fulfil_order(SYSTEM, order.number)
    serial = sales.sold_units(SYSTEM, order.number)[0].serial
    client = page(world, "alice")
    assert "Protect your devices" not in client.get(f"/orders/{order.number}/").content.decode()
    transfers = LedgerTransfer.objects.count()
    refused = buy(client, order.number, serial, follow=False)
    assert refused.status_code == 409  # the order's page again, not a redirect
    html = refused.content.decode()
    assert "This plan can no longer be bought for this unit." in html and 'role="alert"' in html
    assert order.number in html  # the order's own page
    assert nothing_sold(transfers)


@pytest.mark.parametrize(
    ("token", "status", "words"),
    [("tok_declined", 402, "Your card was declined."), ("", 422, "This field is required.")],
)
def test_a_refused_purchase_comes_back_on_the_units_form_and_buys_nothing(
    world, plan, sold, token, status, words
):
    order, serial = sold
    transfers = LedgerTransfer.objects.count()
    refused = buy(page(world, "alice"), order, serial, token=token, follow=False)
    assert refused.status_code == status
    html = refused.content.decode()
    assert words in html and "Protect it for CN¥199.00" in html
    assert f'id="id_{serial}_CARE-MI6-12_card_token"' in html  # the unit's own form, as it was sent
    assert f'value="{token}"' in html or not token
    assert nothing_sold(transfers)


@pytest.mark.parametrize("field", ["order", "serial", "plan"])
def test_a_nul_in_the_purchase_form_is_a_400_and_buys_nothing(world, plan, sold, field):
    """The order number went to PostgreSQL as sent: a NUL in it was a 500 (``core.nul``)."""
    order, serial = sold
    transfers = LedgerTransfer.objects.count()
    body = {"order": order, "serial": serial, "plan": "CARE-MI6-12", "card_token": "tok_ok"}
    body[field] += "\x00"
    refused = page(world, "alice").post("/account/protection/buy/", body)
    assert refused.status_code == 400 and "NUL" in refused.content.decode()
    assert nothing_sold(transfers)


def test_a_unit_insured_meanwhile_under_another_plan_is_a_conflict(world, plan, sold):
    order, serial = sold
    services.create_plan(
        SYSTEM,
        code="CARE-MI6-24",
        name="Mi Care 24 months",
        sku_code="MI6-64",
        term_months=24,
        perils=["accidental_damage"],
        prices=[services.PriceInput("CN", "299.00", "2000.00", "99.00")],
    )
    alice = actor_for_user(world.users["alice"])
    held = services.buy_policy(alice, order, serial, "CARE-MI6-12", payment_token="tok_ok")
    transfers = LedgerTransfer.objects.count()
    body = {"order": order, "serial": serial, "plan": "CARE-MI6-24", "card_token": "tok_ok"}
    refused = page(world, "alice").post(
        "/account/protection/buy/", {**body, "terms": shown_terms("CARE-MI6-24")}
    )
    assert refused.status_code == 409 and 'role="alert"' in refused.content.decode()
    assert list(Policy.objects.values_list("number", flat=True)) == [held.number]
    assert LedgerTransfer.objects.count() == transfers


def test_my_protection_lists_policies_and_files_a_claim(world, policy):
    alice = page(world, "alice")
    html = alice.get("/account/protection/").content.decode()
    facts = ("Mi Care 12 months", "CN¥199.00", "CN¥99.00", "No claims.")
    for text in (policy["number"], policy["serial"], *facts):
        assert text in html, text
    assert 'href="/account/protection/" aria-current="page"' in html  # the account's side nav

    filed = claim(alice, policy["number"])
    assert filed.status_code == 302 and filed["Location"] == f"/account/protection/#{policy['number']}"
    kept = Claim.objects.get(policy__number=policy["number"])
    assert (kept.status, kept.amount_claimed, kept.description) == ("submitted", 600, "dropped on the stairs")
    html = alice.get("/account/protection/").content.decode()
    assert kept.number in html and "Waiting for a decision" in html and "is filed" in html


@pytest.mark.parametrize(
    ("changes", "words", "status"),
    [  # the form's own errors are 422; the service's refusals keep their status (the API's, too)
        ({"peril": "theft"}, "Select a valid choice.", 422),  # not among the plan's perils
        ({"amount": "50.00"}, "The amount must be more than your excess.", 409),
        ({"amount": "9000.00"}, "The amount, less the excess, is more than the cover left.", 409),
        ({"amount": "lots"}, "Enter an amount, such as 450.00.", 422),
        ({"incident_at": "2020-01-01T10:00"}, "The incident is outside your cover&#x27;s dates.", 409),
        ({"incident_at": ""}, "This field is required.", 422),
    ],
)
def test_a_refused_claim_comes_back_on_the_form(world, policy, changes, words, status):
    response = claim(page(world, "alice"), policy["number"], **changes)
    assert response.status_code == status
    html = response.content.decode()
    assert words in html and 'class="field__error"' in html
    assert '<details class="policy__claim" open>' in html
    assert not Claim.objects.exists()


def test_a_second_open_claim_is_refused_on_the_form(world, policy):
    alice = page(world, "alice")
    assert claim(alice, policy["number"]).status_code == 302
    again = claim(alice, policy["number"])
    assert again.status_code == 409
    assert "A claim on this policy is already waiting for a decision." in again.content.decode()
    assert Claim.objects.count() == 1


def test_another_persons_policy_and_order_are_404(world, policy):
    bob = page(world, "bob")
    assert policy["number"] not in bob.get("/account/protection/").content.decode()
    assert "No protection yet" in bob.get("/account/protection/").content.decode()
    assert claim(bob, policy["number"]).status_code == 404
    assert claim(bob, "P-NOPE").status_code == 404
    assert buy(bob, policy["order_number"], policy["serial"]).status_code == 404
    assert not Claim.objects.exists()


def test_a_claims_handler_claims_only_on_their_own_policies(world, policy, handler):
    """bob handles claims and sees every policy, but his protection page files only on his own."""
    bob = actor_for_user(world.users["bob"])
    assert services.get_policy(bob, policy["number"]).number == policy["number"]
    with pytest.raises(NotFound) as other:
        services.get_own_policy(bob, policy["number"])
    assert other.value.code == "unknown_policy"
    assert (
        services.get_own_policy(actor_for_user(world.users["alice"]), policy["number"]).serial
        == policy["serial"]
    )
    assert claim(page(world, "bob"), policy["number"]).status_code == 404
    assert not Claim.objects.exists()


def test_the_pages_need_a_sign_in(world, policy):
    anonymous = Client()
    assert anonymous.get("/account/protection/").status_code == 302
    assert anonymous.post(f"/account/protection/{policy['number']}/claim/").status_code == 302
