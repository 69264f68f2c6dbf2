"""Device protection end to end through the API: buy with the device, claim, decide, pay out.

Every refused request is checked to have moved no money and stored nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import DomainError
from millet.finance.models import LedgerTransfer
from millet.finance.services import balance, balances, total_balance_check
from millet.insurance import services
from millet.insurance.models import Claim, Policy
from millet.sales import services as sales
from tests.finance.insurance.conftest import sell

pytestmark = pytest.mark.django_db

PREMIUMS = "insurance:premiums:CN:CNY"
EXPENSE = "insurance:claims-expense:CN:CNY"
RESERVE = "insurance:claims-reserve:CN:CNY"


def net_credit(code: str) -> int:
    b = balance(code)
    return b.credits_posted - b.debits_posted


def claim_body(**changes) -> dict:
    body = {
        "peril": "accidental_damage",
        "incident_at": timezone.now().isoformat(),  # after the policy started, not in the future
        "amount": "600.00",
        "description": "dropped on the stairs, screen cracked",
    }
    return {**body, **changes}


def state() -> tuple:
    return (
        LedgerTransfer.objects.count(),
        list(Policy.objects.order_by("pk").values()),
        list(Claim.objects.order_by("pk").values()),
    )


def test_plans_are_listed_per_market_with_exact_prices(world, plan):
    cn = world.client("alice").get("/insurance/plans?market=CN&sku=MI6-64")
    assert cn.status_code == 200
    (row,) = cn.json()
    assert (row["currency"], row["premium"], row["cover_limit"], row["excess"]) == (
        "CNY",
        "199.00",
        "2000.00",
        "99.00",
    )
    assert world.client("alice").get("/insurance/plans?market=IN").json()[0]["premium"] == "1499.00"
    assert world.client("alice").get("/insurance/plans?market=DE").json() == []
    assert world.client("alice").get("/insurance/plans?market=XX").status_code == 404


def test_buying_a_policy_binds_the_serial_and_books_the_premium(world, policy, sold):
    order, serial = sold
    assert policy["serial"] == serial and policy["order_number"] == order
    assert policy["status"] == "active" and policy["premium"] == "199.00"
    assert Policy.objects.get(number=policy["number"]).holder == world.users["alice"]
    assert net_credit(PREMIUMS) == 19900
    assert total_balance_check() == 0
    ends = timezone.datetime.fromisoformat(policy["ends_at"])
    starts = timezone.datetime.fromisoformat(policy["starts_at"])
    assert 365 <= (ends - starts).days <= 366


def test_customers_see_only_their_own_policies(world, policy):
    assert [p["number"] for p in world.client("alice").get("/insurance/policies").json()["items"]] == [
        policy["number"]
    ]
    assert world.client("bob").get("/insurance/policies").json()["items"] == []
    assert world.client("bob").get(f"/insurance/policies/{policy['number']}").status_code == 404
    assert world.client("staff").get(f"/insurance/policies/{policy['number']}").status_code == 200


def test_a_policy_number_drawn_twice_is_drawn_again(world, policy, monkeypatch):
    """The policy number is a second unique key beside one active policy per serial: a draw meeting
    another policy's number is refused by it, and the unit, which has no policy, is not said to have
    one (409 ``already_insured``, which no retry would get past); the number is drawn again. Draws
    that keep meeting taken numbers end in the database's refusal, with nothing stored or charged."""
    from millet.core.numbers import document_number
    from millet.insurance.services import policies

    order, serial = sell(world)
    draws = iter([policy["number"], document_number("P")])
    monkeypatch.setattr(policies, "document_number", lambda prefix: next(draws))
    alice = actor_for_user(world.users["alice"])
    bought = services.buy_policy(alice, order, serial, "CARE-MI6-12", payment_token="tok_ok")
    assert bought.number != policy["number"] and bought.serial == serial

    order, serial = sell(world)
    monkeypatch.setattr(policies, "document_number", lambda prefix: policy["number"])
    before = state()
    with pytest.raises(IntegrityError):
        services.buy_policy(alice, order, serial, "CARE-MI6-12", payment_token="tok_ok")
    assert state() == before
    assert not Policy.objects.filter(serial=serial).exists()


def test_imported_history_backdates_the_cover_within_the_plans_rules(world, plan):
    """``sold_at`` (the demo's policies bought at their orders' checkout) starts the cover then;
    a moment outside the order's purchase window, before the order, in the future, or whose term
    has already ended, is refused and moves nothing."""
    now = timezone.now()
    alice = actor_for_user(world.users["alice"])

    def sold_before(days: int) -> tuple[str, str]:
        line = sales.LineRequest("MI6-64", 1)
        placed = now - timedelta(days=days)
        order = sales.place_order(alice, market="CN", lines=[line], payment_token="tok_ok", placed_at=placed)
        sales.fulfil_order(SYSTEM, order.number)
        return order.number, sales.sold_units(SYSTEM, order.number)[0].serial

    order, serial = sold_before(40)
    placed = now - timedelta(days=40)
    old_order, old_serial = sold_before(400)
    before = state()
    for number, unit, sold_at, error in (
        (order, serial, None, "purchase_window_closed"),  # bought today: 40 days after the order
        (order, serial, placed + timedelta(days=31), "purchase_window_closed"),
        (order, serial, placed - timedelta(hours=1), "invalid_sold_at"),
        (order, serial, now + timedelta(hours=1), "invalid_sold_at"),
        (order, serial, (placed + timedelta(hours=1)).replace(tzinfo=None), "invalid_sold_at"),
        (old_order, old_serial, now - timedelta(days=399), "invalid_sold_at"),  # its 12 months are over
    ):
        with pytest.raises(DomainError) as refused:
            services.buy_policy(alice, number, unit, "CARE-MI6-12", payment_token="tok_ok", sold_at=sold_at)
        assert refused.value.code == error, (sold_at, refused.value)
    assert state() == before
    sold_at = placed + timedelta(hours=1)
    policy = services.buy_policy(alice, order, serial, "CARE-MI6-12", payment_token="tok_ok", sold_at=sold_at)
    assert policy.starts_at == sold_at and 365 <= (policy.ends_at - sold_at).days <= 366  # 12 months
    assert net_credit(PREMIUMS) == 19900


@pytest.mark.parametrize(
    "change, status, error",
    [
        ({"plan": "NO-SUCH-PLAN"}, 404, "unknown_plan"),
        ({"serial": "NOT-A-SERIAL"}, 404, "unknown_unit"),
        ({"order_number": "CN000000-NOPE"}, 404, "unknown_order"),
        ({"payment_token": "tok_declined"}, 402, "payment_declined"),
        ({"serial": ""}, 422, None),
        ({"plan": None}, 422, None),
        # The terms shown to the buyer (199.00 premium, 2000.00 cover, 99.00 excess) are not today's:
        (
            {"expected_terms": {"premium": "149.00", "cover_limit": "2000.00", "excess": "99.00"}},
            409,
            "terms_changed",
        ),
        (
            {"expected_terms": {"premium": "199.00", "cover_limit": "3000.00", "excess": "99.00"}},
            409,
            "terms_changed",
        ),
        (
            {"expected_terms": {"premium": "199.00", "cover_limit": "2000.00", "excess": "0"}},
            409,
            "terms_changed",
        ),
        ({"expected_terms": {"premium": "199.00", "cover_limit": "2000.00"}}, 422, None),
        ({"expected_terms": {"premium": "1e2", "cover_limit": "2000.00", "excess": "99.00"}}, 422, None),
    ],
)
def test_bad_policy_purchases_are_refused_and_move_nothing(world, plan, sold, change, status, error):
    order, serial = sold
    before = state()
    body = {
        "order_number": order,
        "serial": serial,
        "plan": "CARE-MI6-12",
        "payment_token": "tok_ok",
        **change,
    }
    response = world.client("alice").post("/insurance/policies", body)
    assert response.status_code == status, response.content
    if error:
        assert response.json()["error"] == error
    assert state() == before


def test_a_policy_is_bought_at_the_terms_the_buyer_was_shown(world, plan, sold):
    order, serial = sold
    shown = {"premium": "199.00", "cover_limit": "2000.00", "excess": 99}
    body = {"order_number": order, "serial": serial, "plan": "CARE-MI6-12", "payment_token": "tok_ok"}
    response = world.client("alice").post("/insurance/policies", {**body, "expected_terms": shown})
    assert response.status_code == 201, response.content
    assert net_credit(PREMIUMS) == 19900


def test_nobody_insures_a_unit_they_did_not_buy(world, plan, sold):
    order, serial = sold
    body = {"order_number": order, "serial": serial, "plan": "CARE-MI6-12", "payment_token": "tok_ok"}
    before = state()
    assert world.client("bob").post("/insurance/policies", body).status_code == 404
    assert state() == before


def test_one_active_policy_per_unit_and_plans_fit_their_sku(world, policy, sold):
    order, serial = sold
    body = {"order_number": order, "serial": serial, "plan": "CARE-MI6-12", "payment_token": "tok_ok"}
    again = world.client("alice").post("/insurance/policies", body)
    assert (again.status_code, again.json()["error"]) == (409, "already_insured")
    created = world.client("staff").post(
        "/insurance/plans",
        {
            "code": "CARE-CAM",
            "name": "Camera care",
            "sku": "CAM-C300",
            "term_months": 24,
            "perils": ["breakdown"],
            "prices": [{"market": "CN", "premium": "29.00", "cover_limit": "199.00"}],
        },
    )
    assert created.status_code == 201, created.content
    other, other_serial = sell(world)
    wrong = world.client("alice").post(
        "/insurance/policies",
        {"order_number": other, "serial": other_serial, "plan": "CARE-CAM", "payment_token": "tok_ok"},
    )
    assert (wrong.status_code, wrong.json()["error"]) == (422, "plan_sku_mismatch")


def test_an_unshipped_order_cannot_be_insured_yet(world, plan):
    placed = world.client("alice").post(
        "/sales/orders",
        {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 1}], "payment_token": "tok_ok"},
    )
    number = placed.json()["number"]
    response = world.client("alice").post(
        "/insurance/policies",
        {"order_number": number, "serial": "MI600000001", "plan": "CARE-MI6-12", "payment_token": "tok_ok"},
    )
    assert response.status_code == 404  # no unit was handed over on it, so there is nothing to insure


@pytest.mark.parametrize(
    "body, status",
    [
        (
            {"code": "X", "name": "n", "sku": "MI6-64", "term_months": 0, "perils": ["theft"], "prices": []},
            422,
        ),
        (
            {
                "code": "X",
                "name": "n",
                "sku": "MI6-64",
                "term_months": 12,
                "perils": ["theft"],
                "prices": [{"market": "CN", "premium": "-5", "cover_limit": "100"}],
            },
            422,
        ),
        (
            {
                "code": "X",
                "name": "n",
                "sku": "MI6-64",
                "term_months": 12,
                "perils": ["meteor"],
                "prices": [{"market": "CN", "premium": "5", "cover_limit": "100"}],
            },
            422,
        ),
        (
            {
                "code": "X",
                "name": "n",
                "sku": "MI6-64",
                "term_months": 12,
                "perils": ["theft"],
                "prices": [{"market": "CN", "premium": "5.001", "cover_limit": "100"}],
            },
            422,
        ),
        (
            {
                "code": "X",
                "name": "n",
                "sku": "CABLE-C",
                "term_months": 12,
                "perils": ["theft"],
                "prices": [{"market": "CN", "premium": "5", "cover_limit": "100"}],
            },
            422,
        ),
        (
            {
                "code": "X",
                "name": "n",
                "sku": "MI6-64",
                "term_months": 12,
                "perils": ["theft"],
                "prices": [{"market": "CN", "premium": "5", "cover_limit": "100", "excess": "100"}],
            },
            422,
        ),
        (
            {
                "code": "X",
                "name": "n",
                "sku": "NOPE",
                "term_months": 12,
                "perils": ["theft"],
                "prices": [{"market": "CN", "premium": "5", "cover_limit": "100"}],
            },
            404,
        ),
    ],
)
def test_bad_plans_are_refused(world, body, status):
    response = world.client("staff").post("/insurance/plans", body)
    assert response.status_code == status, response.content
    assert world.client("staff").get("/insurance/plans?market=CN").json() == []


def test_only_staff_define_plans(world):
    body = {
        "code": "X",
        "name": "n",
        "sku": "MI6-64",
        "term_months": 12,
        "perils": ["theft"],
        "prices": [{"market": "CN", "premium": "5", "cover_limit": "100"}],
    }
    assert world.client("alice").post("/insurance/plans", body).status_code == 403


def test_claim_approve_and_pay_out_through_the_ledger(world, policy, handler):
    filed = world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    assert filed.status_code == 201, filed.content
    claim = filed.json()
    assert claim["status"] == "submitted"
    number = claim["number"]
    assert (
        world.client("alice").post(f"/insurance/claims/{number}/decision", {"approve": True}).status_code
        == 403
    )
    decided = handler.post(f"/insurance/claims/{number}/decision", {"approve": True})
    assert decided.status_code == 200, decided.content
    assert decided.json()["payout"] == "501.00"  # 600 claimed less the 99 excess
    assert -net_credit(EXPENSE) == 50100 and net_credit(RESERVE) == 50100
    paid = handler.post(f"/insurance/claims/{number}/payout")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert net_credit(RESERVE) == 0
    assert balances(["gateway:test:CNY"])["gateway:test:CNY"].credits_posted >= 50100
    again = handler.post(f"/insurance/claims/{number}/payout")
    assert (again.status_code, again.json()["error"]) == (409, "claim_already_paid")
    assert total_balance_check() == 0
    after = world.client("alice").get(f"/insurance/policies/{policy['number']}").json()
    assert (after["paid_out"], after["claims_used"], after["status"]) == ("501.00", 1, "active")
    assert [c["number"] for c in world.client("alice").get("/insurance/claims").json()["items"]] == [number]
    assert world.client("staff").get(f"/insurance/claims/{number}").status_code == 200


@pytest.mark.parametrize(
    "changes, status, error",
    [
        ({"peril": "theft"}, 409, "peril_not_covered"),
        ({"peril": "meteor"}, 422, None),
        ({"amount": "2200.00"}, 409, "exceeds_cover"),
        ({"amount": "99.00"}, 409, "below_excess"),
        ({"amount": "-10"}, 422, "malformed_money"),
        ({"amount": "1.005"}, 422, "malformed_money"),
        ({"amount": "abc"}, 422, "malformed_money"),
        ({"incident_at": "2001-01-01T00:00:00+00:00"}, 409, "outside_term"),
        ({"incident_at": "2999-01-01T00:00:00+00:00"}, 422, "invalid_incident_at"),
        ({"incident_at": "2025-01-01T00:00:00"}, 422, "invalid_incident_at"),
    ],
)
def test_bad_claims_are_refused_and_store_nothing(world, policy, changes, status, error):
    before = state()
    response = world.client("alice").post(
        f"/insurance/policies/{policy['number']}/claims", claim_body(**changes)
    )
    assert response.status_code == status, response.content
    if error:
        assert response.json()["error"] == error
    assert state() == before


def test_claims_on_someone_elses_policy_are_not_found(world, policy):
    response = world.client("bob").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    assert response.status_code == 404


def test_one_open_claim_at_a_time_and_rejections_need_a_reason(world, policy, handler):
    url = f"/insurance/policies/{policy['number']}/claims"
    number = world.client("alice").post(url, claim_body()).json()["number"]
    second = world.client("alice").post(url, claim_body())
    assert (second.status_code, second.json()["error"]) == (409, "claim_open")
    no_reason = handler.post(f"/insurance/claims/{number}/decision", {"approve": False})
    assert (no_reason.status_code, no_reason.json()["error"]) == (422, "reason_required")
    before = LedgerTransfer.objects.count()
    rejected = handler.post(
        f"/insurance/claims/{number}/decision", {"approve": False, "reason": "wear and tear"}
    )
    assert rejected.json()["status"] == "rejected"
    assert LedgerTransfer.objects.count() == before  # a rejection moves no money
    twice = handler.post(f"/insurance/claims/{number}/decision", {"approve": True})
    assert (twice.status_code, twice.json()["error"]) == (409, "claim_already_decided")
    assert world.client("alice").post(url, claim_body()).status_code == 201  # the policy is open again


def test_cover_and_claim_count_run_out(world, policy, handler):
    url = f"/insurance/policies/{policy['number']}/claims"
    for amount in ("1099.00", "1000.00"):  # payouts 1000 + 901 of the 2000 cover; max 2 claims
        number = world.client("alice").post(url, claim_body(amount=amount)).json()["number"]
        assert handler.post(f"/insurance/claims/{number}/decision", {"approve": True}).status_code == 200
    done = world.client("alice").get(f"/insurance/policies/{policy['number']}").json()
    assert (done["status"], done["paid_out"], done["claims_used"]) == ("exhausted", "1901.00", 2)
    refused = world.client("alice").post(url, claim_body(amount="200.00"))
    assert (refused.status_code, refused.json()["error"]) == (409, "policy_not_active")
    assert Decimal(done["paid_out"]) <= Decimal(done["cover_limit"])


def test_returning_the_unit_cancels_the_policy_and_refunds_the_unused_premium(
    world, policy, sold, django_capture_on_commit_callbacks
):
    order, serial = sold
    line = world.client("alice").get(f"/sales/orders/{order}").json()["lines"][0]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        returned = world.client("staff").post(
            f"/sales/orders/{order}/returns",
            {"warehouse_code": "WH-CN-SH", "lines": [{"line_id": line, "quantity": 1, "serials": [serial]}]},
        )
    assert returned.status_code == 201, returned.content
    after = world.client("alice").get(f"/insurance/policies/{policy['number']}").json()
    assert after["status"] == "cancelled"
    assert Decimal("198.90") <= Decimal(after["refunded"]) <= Decimal("199.00")  # a few seconds used
    assert net_credit(PREMIUMS) == 19900 - int(Decimal(after["refunded"]) * 100)
    assert total_balance_check() == 0
    response = world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    assert (response.status_code, response.json()["error"]) == (409, "policy_not_active")
    # the event again (a retry) changes nothing
    assert services.cancel_policies_for_returned_units(order_number=order, serials=[serial]) == []
    assert net_credit(PREMIUMS) == 19900 - int(Decimal(after["refunded"]) * 100)


def test_a_used_policy_is_cancelled_without_refund(world, policy, sold, handler):
    number = world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body()).json()
    assert (
        handler.post(f"/insurance/claims/{number['number']}/decision", {"approve": True}).status_code == 200
    )
    order, serial = sold
    (cancelled,) = services.cancel_policies_for_returned_units(order_number=order, serials=[serial])
    assert (cancelled.status, cancelled.refunded) == ("cancelled", Decimal("0"))
    assert net_credit(PREMIUMS) == 19900


def test_lapsed_policies_expire_and_no_longer_take_claims(world, policy):
    from django.core.management import call_command

    later = timezone.now() + timezone.timedelta(days=400)
    assert services.expire_policies(now=later) == 1
    assert services.expire_policies(now=later) == 0  # idempotent
    call_command("expire_policies")  # nothing else lapsed today
    response = world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    assert (response.status_code, response.json()["error"]) == (409, "policy_not_active")
    assert world.client("alice").get("/insurance/policies?status=expired").json()["count"] == 1


def test_a_claim_filed_in_term_is_approved_and_paid_after_the_term_ends(world, policy, handler):
    """Claims are decided days after they are filed: a policy whose term ended meanwhile (the daily
    job marked it expired) refused the approval with 409 ``policy_not_active``, so the handler could
    only reject a claim that was valid when it was made. It is approved and paid, and stays expired."""
    filed = world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    assert filed.status_code == 201, filed.content
    assert services.expire_policies(now=timezone.now() + timedelta(days=400)) == 1
    decided = handler.post(f"/insurance/claims/{filed.json()['number']}/decision", {"approve": True})
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["payout"]) == ("approved", "501.00")
    paid = handler.post(f"/insurance/claims/{filed.json()['number']}/payout")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    held = Policy.objects.get(number=policy["number"])
    assert (held.status, held.paid_out, held.claims_used) == ("expired", Decimal("501.00"), 1)
    assert net_credit(EXPENSE) == -50100 and net_credit(RESERVE) == 0
    assert total_balance_check() == 0
    again = world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    assert (again.status_code, again.json()["error"]) == (409, "policy_not_active")


def test_a_claims_handler_cannot_decide_a_claim_on_their_own_policy(world, plan, handler):
    """bob handles claims and holds a policy: he could file a claim, approve it himself and have it
    paid out to him. Deciding a claim on one's own policy is refused (403), nothing moves; another
    handler decides it."""
    order, serial = sell(world, "bob")
    body = {"order_number": order, "serial": serial, "plan": "CARE-MI6-12", "payment_token": "tok_ok"}
    held = handler.post("/insurance/policies", body).json()
    filed = handler.post(f"/insurance/policies/{held['number']}/claims", claim_body()).json()
    before = state()
    for approve in (True, False):
        decided = handler.post(
            f"/insurance/claims/{filed['number']}/decision", {"approve": approve, "reason": "mine"}
        )
        assert (decided.status_code, decided.json()["error"]) == (403, "own_claim")
    assert state() == before
    staff = world.client("staff")
    decided = staff.post(f"/insurance/claims/{filed['number']}/decision", {"approve": True})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert total_balance_check() == 0


def test_admin_pages_render_and_policies_stay_read_only(world, policy, handler):
    world.client("alice").post(f"/insurance/policies/{policy['number']}/claims", claim_body())
    admin_user = world.users["staff"]
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    browser = Client()
    browser.force_login(admin_user)
    for model in ("protectionplan", "policy", "claim"):
        changelist = browser.get(f"/admin/insurance/{model}/")
        assert changelist.status_code == 200, model
    pk = Policy.objects.get(number=policy["number"]).pk
    assert browser.get(f"/admin/insurance/policy/{pk}/change/").status_code == 200
    assert browser.get("/admin/insurance/policy/add/").status_code == 403
    assert browser.post(f"/admin/insurance/policy/{pk}/delete/").status_code == 403
    plan_pk = Policy.objects.get(pk=pk).plan_id
    assert browser.get(f"/admin/insurance/protectionplan/{plan_pk}/change/").status_code == 200
