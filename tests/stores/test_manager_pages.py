"""Issue 11 item 3: the store manager's pages and the supply planner's approvals, through Django's
test client (the browser journey is tests/browser/test_manager.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SUPPLY_PLANNER_GROUP, actor_for_user
from millet.core.errors import Unprocessable
from millet.inventory import services
from millet.inventory.models import StockRequest, StockTransfer
from millet.stores.services import ranking_for, store_period
from tests.core.damaged_attempts import DAMAGED_KEYS, fresh_key_after_damaged
from tests.stores.conftest import book

pytestmark = pytest.mark.django_db


def signed_in(world, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    client.cookies["django_language"] = "en"  # the assertions read English; CN pages default to Chinese
    return client


@pytest.fixture
def planner(world) -> Client:
    group, _ = Group.objects.get_or_create(name=SUPPLY_PLANNER_GROUP)
    world.users["bob"].groups.add(group)
    return signed_in(world, "bob")


def test_a_manager_sees_only_their_own_store(world):
    manager = signed_in(world, "manager_sh")
    page = manager.get("/stores/SH-001/")
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("Mi Home Shanghai", "MI6-64", "CABLE-C", "cashier_sh", "Revenue and rank"):
        assert expected in text
    assert manager.get("/stores/mine/")["Location"] == "/stores/SH-001/"
    assert manager.get("/stores/BJ-001/").status_code == 404
    assert manager.get("/stores/NOPE-1/").status_code == 404
    assert manager.post("/stores/BJ-001/requests/", {"sku": "MI6-64", "quantity": 1}).status_code == 404
    assert signed_in(world, "cashier_sh").get("/stores/SH-001/").status_code == 403
    assert signed_in(world, "alice").get("/stores/SH-001/").status_code == 404
    assert signed_in(world, "alice").get("/stores/mine/").status_code == 403
    assert Client().get("/stores/SH-001/").status_code == 302  # to the sign-in page


def test_a_request_goes_through_the_planners_page_and_is_received_by_scanning(world, planner):
    manager = signed_in(world, "manager_sh")
    refused = manager.post("/stores/SH-001/requests/", {"sku": "NOPE", "quantity": "2"})
    assert refused.status_code == 422 and "Unknown SKU code." in refused.content.decode()
    sent = manager.post("/stores/SH-001/requests/", {"sku": "MI6-64", "quantity": "2", "note": ""})
    assert sent.status_code == 302
    asked = StockRequest.objects.get()
    assert manager.get("/stock/requests/").status_code == 403
    assert manager.post(f"/stock/requests/{asked.pk}/", {"decision": "approve"}).status_code == 403

    listed = planner.get("/stock/requests/")
    assert listed.status_code == 200 and f"SR-{asked.pk}" in listed.content.decode()
    planner.post(f"/stock/requests/{asked.pk}/", {"decision": "approve", "source": "WH-CN-SH"})
    asked.refresh_from_db()
    assert asked.status == "approved"
    serials = asked.transfer.serials

    url = f"/stores/SH-001/receive/{asked.transfer_id}/"
    assert signed_in(world, "cashier_sh").get(url).status_code == 403
    assert manager.get(f"/stores/SH-001/receive/{asked.transfer_id + 99}/").status_code == 404
    wrong = manager.post(url, {"code": "CABLE-C", "action": "add"})
    assert wrong.status_code == 422 and "CABLE-C is not in this transfer." in wrong.content.decode()
    one = manager.post(url, {"code": serials[0], "action": "add"})
    assert one.status_code == 200 and "1 of 2 units scanned" in one.content.decode()
    early = manager.post(url, {"scanned": serials[:1], "code": "", "action": "receive"})
    assert early.status_code == 422
    # A bad scan among those kept names itself, not the (empty) input: the page put the input into
    # the sentence, " is not in this transfer.", for want of the refusal's own fact.
    stray = manager.post(url, {"scanned": ["CABLE-C", serials[1]], "code": "", "action": "receive"})
    assert stray.status_code == 422 and "CABLE-C is not in this transfer." in stray.content.decode()
    done = manager.post(url, {"scanned": serials, "code": "", "action": "receive"})
    assert done.status_code == 302
    asked.transfer.refresh_from_db()
    assert asked.transfer.status == "received"
    twice = manager.post(url, {"scanned": serials, "code": "", "action": "receive"})
    assert twice.status_code == 404  # received already: no longer incoming here, nothing booked again


def test_a_planner_is_refused_their_own_request_on_the_page(world, planner):
    both = world.users["manager_sh"]
    both.groups.add(Group.objects.get(name=SUPPLY_PLANNER_GROUP))
    client = signed_in(world, "manager_sh")
    client.post("/stores/SH-001/requests/", {"sku": "MI6-64", "quantity": "1"})
    asked = StockRequest.objects.get()
    answer = client.post(f"/stock/requests/{asked.pk}/", {"decision": "approve", "source": "WH-CN-SH"})
    assert answer.status_code == 403  # the planners' page again with why, not a redirect
    assert "You cannot approve or reject your own stock request" in answer.content.decode()
    asked.refresh_from_db()
    assert asked.status == "pending"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"decision": "approve", "source": "WH-CN-BJ"}, 409, "That warehouse does not have enough units"),
        ({"decision": "approve", "source": "WH-IN-BLR"}, 422, "Choose a warehouse of the store"),
        ({"decision": "approve", "source": "NOPE"}, 422, "Choose a warehouse of the store"),
        ({"decision": "reject", "reason": " "}, 422, "A rejection needs a reason."),
        ({"decision": "maybe"}, 422, "Choose approve or reject."),
    ],
)
def test_a_refused_decision_is_answered_on_the_page_and_decides_nothing(world, planner, body, status, words):
    asked = services.request_stock(
        actor_for_user(world.users["manager_sh"]), "SH-001", sku_code="MI6-64", quantity=4
    )
    transfers = StockTransfer.objects.count()
    answer = planner.post(f"/stock/requests/{asked.pk}/", body)
    assert answer.status_code == status
    assert words in answer.content.decode() and f"SR-{asked.pk}" in answer.content.decode()
    asked.refresh_from_db()
    assert asked.status == "pending" and StockTransfer.objects.count() == transfers


def test_revenue_and_rank_over_a_chosen_period(world):
    manager = signed_in(world, "manager_sh")
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=10)):
        book("SH-001", 100_00)  # ten days ago
    book("SH-001", 30_00)
    book("BJ-001", 50_00)
    sh = world.stores["SH-001"]
    today = timezone.localtime(timezone=ZoneInfo("Asia/Shanghai")).date()  # the store's own days
    staff = actor_for_user(world.users["staff"])
    recent = store_period(sh, today - timedelta(days=2), today + timedelta(days=1))
    rows = {r.store_code: (r.revenue, r.rank) for r in ranking_for(staff, "CN", period=recent)}
    assert (rows["BJ-001"], rows["SH-001"]) == ((50, 1), (30, 2))
    ever = {r.store_code: (r.revenue, r.rank) for r in ranking_for(staff, "CN")}
    assert ever["SH-001"] == (130, 1)
    last_month = {"first": (today - timedelta(days=30)).isoformat(), "last": today.isoformat()}
    assert "¥130.00" in manager.get("/stores/SH-001/", last_month).content.decode()
    assert "¥30.00" in manager.get("/stores/SH-001/", {"first": today, "last": today}).content.decode()
    backwards = manager.get("/stores/SH-001/", {"first": today, "last": today - timedelta(days=1)})
    assert "The last day comes on or after the first." in backwards.content.decode()
    with pytest.raises(Unprocessable):
        store_period(sh, date(2026, 2, 1), date(2026, 1, 1))


def test_a_store_asks_for_no_more_units_than_its_receive_page_scans(world, planner):
    """The receive page carries at most ``MAX_REQUEST_QUANTITY`` scans; a request for more was
    accepted and approved, then its transfer could never be received there (the scans past the
    limit were dropped, so the count stuck one past it and "Receive" said units were missing)."""
    world.receive("CABLE-C", "WH-CN-SH", 1000)
    manager = signed_in(world, "manager_sh")
    most = services.MAX_REQUEST_QUANTITY
    refused = manager.post("/stores/SH-001/requests/", {"sku": "CABLE-C", "quantity": str(most + 1)})
    assert refused.status_code == 422 and not StockRequest.objects.exists()
    with pytest.raises(Unprocessable) as caught:
        services.request_stock(
            actor_for_user(world.users["manager_sh"]), "SH-001", sku_code="CABLE-C", quantity=most + 1
        )
    assert caught.value.code == "invalid_quantity" and not StockRequest.objects.exists()

    assert (
        manager.post("/stores/SH-001/requests/", {"sku": "CABLE-C", "quantity": str(most)}).status_code == 302
    )
    asked = StockRequest.objects.get()
    planner.post(f"/stock/requests/{asked.pk}/", {"decision": "approve", "source": "WH-CN-SH"})
    asked.refresh_from_db()
    url = f"/stores/SH-001/receive/{asked.transfer_id}/"
    last = manager.post(url, {"scanned": ["CABLE-C"] * (most - 1), "code": "CABLE-C", "action": "add"})
    assert f"{most} of {most} units scanned" in last.content.decode()
    done = manager.post(url, {"scanned": ["CABLE-C"] * most, "code": "", "action": "receive"})
    assert done.status_code == 302
    asked.transfer.refresh_from_db()
    assert asked.transfer.status == "received"


def test_no_transfer_sends_a_store_more_units_than_its_receive_page_scans(world):
    """The same bound for a transfer made directly (the API, the back office): staff could ship a
    store up to ``MAX_QUANTITY`` units in one transfer, which its receive page could never book (the
    scans past ``MAX_REQUEST_QUANTITY`` were dropped). Now refused when shipped, nothing moved; a
    warehouse still takes a bigger one."""
    world.receive("CABLE-C", "WH-CN-SH", 1000)
    most = services.MAX_REQUEST_QUANTITY
    staff = world.client("staff")
    body = {"sku": "CABLE-C", "source": "WH-CN-SH", "destination": "SH-001", "quantity": most + 1}
    refused = staff.post("/inventory/transfers", body)
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_quantity", refused.content
    assert not StockTransfer.objects.exists()
    assert staff.post("/inventory/transfers", {**body, "quantity": most}).status_code == 201
    assert staff.post("/inventory/transfers", {**body, "destination": "WH-CN-BJ"}).status_code == 201


def test_a_period_over_three_years_is_refused_on_the_form_not_read_as_a_store_that_does_not_trade(world):
    """The service refuses a period over three years; the page swallowed the refusal and said "This
    store is not ranked: it does not trade." (200) about a store that does."""
    manager = signed_in(world, "manager_sh")
    book("SH-001", 30_00)
    today = timezone.localtime(timezone=ZoneInfo("Asia/Shanghai")).date()
    too_long = manager.get("/stores/SH-001/", {"first": today - timedelta(days=3 * 366 + 1), "last": today})
    text = too_long.content.decode()
    assert too_long.status_code == 422
    assert "A period is at most three years long." in text and "it does not trade" not in text
    backwards = manager.get("/stores/SH-001/", {"first": today, "last": today - timedelta(days=1)})
    assert backwards.status_code == 422
    longest = manager.get("/stores/SH-001/", {"first": today - timedelta(days=3 * 366), "last": today})
    assert longest.status_code == 200 and "¥30.00" in longest.content.decode()
    assert manager.get("/stores/SH-001/", {"utm_source": "mail"}).status_code == 200  # asks nothing


def test_a_stock_request_sent_twice_from_one_form_is_made_once(world):
    """A double click or a resent POST of the request form made two pending requests for one need
    (and a planner approving both shipped the units twice): the form carries a one-time key."""
    manager = signed_in(world, "manager_sh")
    page = manager.get("/stores/SH-001/").content.decode()
    attempt = re.search(r'name="attempt" value="([0-9a-f]{32})"', page).group(1)
    body = {"sku": "MI6-64", "quantity": "2", "note": "", "attempt": attempt}
    assert manager.post("/stores/SH-001/requests/", body).status_code == 302
    assert manager.post("/stores/SH-001/requests/", body).status_code == 302  # the same answer
    assert StockRequest.objects.count() == 1
    reused = manager.post("/stores/SH-001/requests/", {**body, "quantity": "3"})  # an old page, changed
    text = reused.content.decode()
    assert reused.status_code == 409 and "This form was already sent for another request" in text
    assert StockRequest.objects.count() == 1
    # The form comes back as the manager changed it, with a new key: sending it again makes the request.
    fresh = re.search(r'name="attempt" value="([0-9a-f]{32})"', text).group(1)
    assert fresh != attempt and 'name="quantity" value="3"' in text
    again = manager.post("/stores/SH-001/requests/", {**body, "quantity": "3", "attempt": fresh})
    assert again.status_code == 302
    assert StockRequest.objects.count() == 2


def test_a_refusal_the_page_has_no_words_for_is_said_in_the_managers_language(world):
    """The request form fell back on the service's English detail for any code it did not map: a
    Hindi page read "the note is at most 500 characters". Now such a refusal is said in general
    words in the page's language (core.refusals)."""
    manager = signed_in(world, "manager_sh")
    manager.cookies["django_language"] = "hi"
    body = {"sku": "MI6-64", "quantity": "2", "note": ""}
    refusal = Unprocessable("the note is at most 500 characters", code="invalid_note")
    with mock.patch("millet.stores.manager_views.inventory.request_stock", side_effect=refusal):
        answer = manager.post("/stores/SH-001/requests/", body)
    text = answer.content.decode()
    assert answer.status_code == 422 and "यह नहीं हो सका। विवरण जाँचें और फिर से कोशिश करें।" in text
    assert "at most 500" not in text and StockRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("first", "last"), [(date(9999, 12, 31), date(9999, 12, 31)), (date(1, 1, 1), date(1, 1, 1))]
)
def test_a_period_at_the_calendar_s_ends_is_refused_not_a_500(world, first, last):
    """The day after 9999-12-31, and midnight of 0001-01-01 in Shanghai as UTC, do not exist: the
    page's period crashed (OverflowError, 500) on them."""
    manager = signed_in(world, "manager_sh")
    answer = manager.get("/stores/SH-001/", {"first": first, "last": last})
    assert answer.status_code == 422 and "Those days are out of range." in answer.content.decode()
    with pytest.raises(Unprocessable) as caught:
        store_period(world.stores["SH-001"], first, last)
    assert caught.value.code == "period_out_of_range"


@pytest.mark.parametrize(
    ("days", "code", "words"),
    [
        ((0, -1), "period_backwards", "The last day comes on or after the first."),
        ((-3 * 366 - 1, 0), "period_too_long", "A period is at most three years long."),
    ],
)
def test_the_page_judges_a_period_once_and_says_the_refusal_s_own_words(world, days, code, words):
    """The page called ``store_period`` twice (the form, then the figures) and, as the service
    named every refusal ``invalid_period``, judged the days again itself to pick its words; each
    refusal now has its own code, and the page asks once and words the code."""
    manager = signed_in(world, "manager_sh")
    sh = world.stores["SH-001"]
    today = timezone.localtime(timezone=ZoneInfo("Asia/Shanghai")).date()
    first, last = (today + timedelta(days=n) for n in days)
    with pytest.raises(Unprocessable) as caught:
        store_period(sh, first, last)
    assert (caught.value.code, caught.value.status_code) == (code, 422)
    with mock.patch("millet.stores.manager_views.store_period", wraps=store_period) as judged:
        refused = manager.get("/stores/SH-001/", {"first": first, "last": last})
        assert refused.status_code == 422 and words in refused.content.decode()
        assert judged.call_count == 1
        assert manager.get("/stores/SH-001/").status_code == 200
        assert judged.call_count == 2


@pytest.mark.parametrize("attempt", DAMAGED_KEYS)
def test_a_damaged_request_key_is_said_in_words_and_the_form_gets_a_fresh_one(world, attempt):
    """A damaged hidden ``attempt`` said "(Hidden field attempt) Enter a valid value." and the form
    came back with the same damaged key, refused on every send. The page now says it in the
    manager's words (Hindi here) and draws the form with a fresh key, which asks once."""
    manager = signed_in(world, "manager_sh")
    manager.cookies["django_language"] = "hi"
    body = {"sku": "MI6-64", "quantity": "2", "note": "", "attempt": attempt}
    refused = manager.post("/stores/SH-001/requests/", body)
    fresh = fresh_key_after_damaged(refused, attempt, "hi", form="request_form")
    assert not StockRequest.objects.exists()
    for _ in range(2):  # sent twice with the fresh key: one request
        assert manager.post("/stores/SH-001/requests/", {**body, "attempt": fresh}).status_code == 302
    assert StockRequest.objects.count() == 1
