"""The shopper's flash-sale pages over both gates (database, and Redis in the PostgreSQL pass):
countdown, one claim per click, the queue, paying once, an expired window, sold out and the waitlist."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from millet.finance.models import Payment
from millet.flashsale.models import Claim, WaitlistEntry
from millet.flashsale.services import gate
from millet.sales.models import Order
from tests.core.damaged_attempts import fresh_key_after_damaged
from tests.flashsale.test_flashsale import stock, write_all


def visitor() -> Client:
    """A browser that reads the store in English (CN's own first language is Chinese)."""
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def shopper(world, name: str) -> Client:
    client = visitor()
    client.force_login(world.users[name])
    return client


def sale_url(campaign) -> str:
    return f"/shop/cn/flash/{campaign.code}/"


def attempt_of(page) -> str:
    return re.search(rb'name="attempt" value="([^"]+)"', page.content)[1].decode()


def click(client: Client, campaign, attempt: str):
    return client.post(sale_url(campaign) + "claim", {"attempt": attempt})


def test_upcoming_sale_counts_down_by_the_server_clock(world, make_campaign):
    campaign = make_campaign(2, starts_in=3600)
    page = visitor().get(sale_url(campaign))
    assert page.status_code == 200
    text = page.content.decode()
    assert "The sale starts soon" in text and 'role="timer"' in text and "Reload the page" in text
    assert "Buy now" not in text
    assert re.search(r'<span class="countdown__value" data-part="minutes">(59|00)</span>', text)
    assert 'data-now="' in text  # the component counts by the server's clock
    assert "抢购即将开始" in Client().get(sale_url(campaign)).content.decode()  # CN's first language
    for announced in ("/shop/cn/flash/", "/shop/cn/"):  # the sale list, and the store's home and menu
        listing = visitor().get(announced).content.decode()
        assert f'href="{sale_url(campaign)}"' in listing and "Singles Day cable" in listing
    assert sale_url(campaign) not in visitor().get("/shop/in/").content.decode()
    refused = click(shopper(world, "alice"), campaign, "a" * 22)
    assert refused.status_code == 409  # the sale's page again, with why
    assert "The sale has not started yet." in refused.content.decode()
    assert "The sale starts soon" in refused.content.decode()
    assert not Claim.objects.filter(campaign=campaign).exists()
    assert stock(world) == (100, 2)


def test_signed_out_button_leads_to_sign_in_and_back(world, make_campaign):
    campaign = make_campaign(2)
    page = visitor().get(sale_url(campaign))
    assert f'href="/account/login/?next={sale_url(campaign)}"' in page.content.decode()
    answer = visitor().post(sale_url(campaign) + "claim", {"attempt": "a" * 22})
    assert answer.status_code == 302 and answer["Location"] == f"/account/login/?next={sale_url(campaign)}"
    assert visitor().post(sale_url(campaign) + "waitlist")["Location"].startswith("/account/login/")
    assert not Claim.objects.filter(campaign=campaign).exists()


def test_double_click_claims_once_then_queue_then_pay_once(world, make_campaign):
    campaign = make_campaign(3, limit=2)
    alice = shopper(world, "alice")
    attempt = attempt_of(alice.get(sale_url(campaign)))
    assert click(alice, campaign, "not an attempt").status_code == 422  # a stale or forged form
    first, second = click(alice, campaign, attempt), click(alice, campaign, attempt)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    claim_page = first["Location"]

    waiting = alice.get(claim_page)
    if gate.redis_enabled():  # the order waits for the writer (the worker process in production)
        assert "Your place in the queue: 1" in waiting.content.decode()
        assert 'hx-trigger="every 1s"' in waiting.content.decode()
        fragment = alice.get(claim_page, headers={"HX-Request": "true"})
        assert (
            fragment.content.decode().lstrip().startswith("<section")
            and "<html" not in fragment.content.decode()
        )
    write_all()
    assert Claim.objects.filter(campaign=campaign).count() == 1  # one click, one claim
    ordered = alice.get(claim_page).content.decode()
    assert "Pay to keep your unit" in ordered and "Time left to pay" in ordered and "tok_ok" in ordered

    declined = alice.post(claim_page + "pay", {"payment_token": "tok_declined"})
    assert declined.status_code == 422 and "The card was declined" in declined.content.decode()
    assert alice.post(claim_page + "pay", {"payment_token": ""}).status_code == 422
    paid = alice.post(claim_page + "pay", {"payment_token": "tok_ok"})
    assert paid.status_code == 302 and paid["Location"] == claim_page
    again = alice.post(claim_page + "pay", {"payment_token": "tok_ok"})  # a reload or double submit
    assert again.status_code == 302
    claim = Claim.objects.get(campaign=campaign)
    assert claim.status == "paid"
    assert "Paid. The unit is yours." in alice.get(claim_page).content.decode()
    captured = Payment.objects.filter(reference=claim.order_number).exclude(status="declined")
    assert captured.count() == 1
    assert Order.objects.get(number=claim.order_number).status == "paid"

    # A fresh click (a new drawing of the page) is a new claim, up to the limit.
    assert click(alice, campaign, attempt_of(alice.get(sale_url(campaign)))).status_code == 302
    write_all()
    assert Claim.objects.filter(campaign=campaign).count() == 2
    limit = click(alice, campaign, attempt_of(alice.get(sale_url(campaign))))
    assert limit.status_code == 409  # the sale's page again with why, not a redirect
    assert "as many units as this sale allows" in limit.content.decode()
    assert attempt_of(limit) != attempt  # a fresh attempt for the next click
    assert Claim.objects.filter(campaign=campaign).count() == 2


def test_expired_window_releases_the_unit(world, make_campaign):
    campaign = make_campaign(1, window=1)
    alice = shopper(world, "alice")
    claim_page = click(alice, campaign, attempt_of(alice.get(sale_url(campaign))))["Location"]
    write_all()
    assert "Pay to keep your unit" in alice.get(claim_page).content.decode()
    time.sleep(1.1)
    closed = alice.get(claim_page).content.decode()
    assert "The payment window has closed" in closed
    claim = Claim.objects.get(campaign=campaign)
    assert claim.status == "expired" and Order.objects.get(number=claim.order_number).status == "cancelled"
    payments = Payment.objects.count()
    late = alice.post(claim_page + "pay", {"payment_token": "tok_ok"})
    assert late.status_code == 409  # the claim's page with why; nothing charged
    assert "can no longer be paid" in late.content.decode()
    assert "The payment window has closed" in late.content.decode()
    assert Payment.objects.count() == payments and Claim.objects.get(pk=claim.pk).status == "expired"
    assert "On sale now" in visitor().get(sale_url(campaign)).content.decode()  # the unit is back
    assert stock(world) == (100, 1)


def test_sold_out_offers_the_waitlist(world, make_campaign):
    campaign = make_campaign(1)
    alice, bob = shopper(world, "alice"), shopper(world, "bob")
    click(alice, campaign, attempt_of(alice.get(sale_url(campaign))))
    write_all()
    page = bob.get(sale_url(campaign)).content.decode()
    assert "Sold out" in page and "Join the waitlist" in page and "Buy now" not in page
    late = click(bob, campaign, "b" * 22)  # a page drawn before the last unit went
    assert late.status_code == 409 and "Sold out. Join the waitlist" in late.content.decode()
    assert Claim.objects.filter(campaign=campaign).count() == 1
    joined = bob.post(sale_url(campaign) + "waitlist")
    assert joined.status_code == 302
    page = bob.get(joined["Location"]).content.decode()
    assert "You are on the waitlist. 0 people are ahead of you." in page
    assert bob.post(sale_url(campaign) + "waitlist").status_code == 302  # joining twice is harmless
    assert WaitlistEntry.objects.filter(campaign=campaign).count() == 1


def test_the_waitlist_of_a_sale_with_units_left_is_refused_on_the_page(world, make_campaign):
    campaign = make_campaign(2)
    bob = shopper(world, "bob")
    refused = bob.post(sale_url(campaign) + "waitlist")
    assert refused.status_code == 409
    assert "Units are still available: buy one now." in refused.content.decode()
    assert "Buy now" in refused.content.decode()
    assert not WaitlistEntry.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize("path", ["/shop/in/flash/{code}/", "/shop/cn/flash/nope/", "/shop/xx/flash/{code}/"])
def test_unknown_or_other_market_sale_is_404(world, make_campaign, path):
    campaign = make_campaign(1)
    assert visitor().get(path.format(code=campaign.code)).status_code == 404


def test_someone_elses_claim_is_404(world, make_campaign):
    campaign = make_campaign(2)
    alice = shopper(world, "alice")
    claim_page = click(alice, campaign, attempt_of(alice.get(sale_url(campaign))))["Location"]
    write_all()
    bob = shopper(world, "bob")
    assert bob.get(claim_page).status_code == 404
    assert bob.post(claim_page + "pay", {"payment_token": "tok_ok"}).status_code == 404
    assert bob.get(sale_url(campaign) + "claims/d0123456789abcdef/").status_code == 404
    assert Claim.objects.get(campaign=campaign).status == "ordered"


@pytest.mark.django_db(transaction=True)
def test_the_menu_keeps_its_announcements_until_a_campaign_changes(world, require_shared_cache):
    """Every store page's menu reads the market's announced sales from the shared cache (no query),
    and a campaign created, renamed, moved or deleted (services or back office) shows at once."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from millet.accounts.actor import SYSTEM
    from millet.flashsale import services
    from millet.flashsale.models import Campaign

    assert services.announced_sales("CN") == []
    now = timezone.now()
    campaign = services.create_campaign(
        SYSTEM, code="tkept", name="Singles Day cable", sku_code="CABLE-C", market="CN",
        location_code="WH-CN-SH", price=Decimal("9.90"), units=2, starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2), per_customer_limit=1, payment_window_seconds=900,
    )  # fmt: skip
    try:
        assert [a.name for a in services.announced_sales("CN")] == ["Singles Day cable"]
        with CaptureQueriesContext(connection) as kept:
            assert [a.code for a in services.announced_sales("CN")] == ["tkept"]
            assert "Singles Day cable" in visitor().get("/shop/cn/").content.decode()
        assert not any("flashsale_campaign" in q["sql"] for q in kept.captured_queries)
        campaign.name = "Singles Day cable, more units"
        campaign.save()
        assert "Singles Day cable, more units" in visitor().get("/shop/cn/").content.decode()
        campaign.ends_at = now - timedelta(minutes=1)
        campaign.starts_at = now - timedelta(hours=1)
        campaign.save()
        assert services.announced_sales("CN") == []
        campaign.ends_at = now + timedelta(hours=2)
        campaign.save()
        assert [a.code for a in services.announced_sales("CN")] == ["tkept"]
        Campaign.objects.filter(pk=campaign.pk).delete()
        assert services.announced_sales("CN") == []
    finally:
        gate.forget("tkept")
        gate.reset_client()


@pytest.mark.parametrize("attempt", ["x" * 5000, "../../", "too short"])  # "A" * 32 is a click id
def test_a_damaged_click_id_is_said_in_words_and_the_button_gets_a_fresh_one(world, make_campaign, attempt):
    """A damaged hidden ``attempt`` came back as "(Hidden field attempt) This page is out of date"
    with the same damaged key on the button, refused again on every click: a dead end. The page now
    says it in the shopper's words (zh-Hans here) and the button carries a fresh key that claims."""
    campaign = make_campaign(3, limit=2)
    alice = shopper(world, "alice")
    alice.cookies["django_language"] = "zh-hans"
    fresh = fresh_key_after_damaged(click(alice, campaign, attempt), attempt, "zh-hans")
    assert not Claim.objects.exists()
    first, again = click(alice, campaign, fresh), click(alice, campaign, fresh)
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
