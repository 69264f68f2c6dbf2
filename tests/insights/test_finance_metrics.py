"""Internet finance's metrics (issue 13): interest and fee income, premiums, the credit book, 30+ days
past due, charge-offs and the approval rate, each proved from loans, repayments, the daily job,
policies and refunds made through lending's and insurance's services; and a rebuild equals the
live rollups."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.insights.metrics import METRICS
from millet.insights.models import Rollup
from millet.insights.services import catch_up, rebuild, set_rate, trend
from millet.insurance import services as insurance
from millet.lending import services as lending
from tests.finance.insurance.conftest import plan, policy, sell, sold  # noqa: F401
from tests.finance.lending.conftest import (  # noqa: F401  (the credit fixtures)
    BAD_FORM,
    BORDERLINE_FORM,
    DAY0,
    apply,
    credit,
    credit_artifact,
    placed_order,
)


def _rows() -> set[tuple]:
    return set(Rollup.objects.values_list("series", "scope", "day", "currency", "amount"))


def _today(metric: str, scope: str = "company") -> Decimal | None:
    """``metric`` in ``scope`` over today (UTC): every posting here is dated the day it was made."""
    today = timezone.now().date()
    return trend(METRICS[metric], scope, today, today).figure.value


def _since(day: date, metric: str, scope: str = "company") -> Decimal | None:
    """``metric`` in ``scope`` from ``day`` to today: a credit decision for an earlier business day
    (``apply_for_credit(on=...)``) is dated on it."""
    return trend(METRICS[metric], scope, day, timezone.now().date()).figure.value


def _money(minor: int) -> Decimal:
    return Decimal(minor) / 100


def _pay_off(world, loan, on: date) -> None:
    quote = lending.payoff_quote(SYSTEM, loan.number, on=on)
    lending.repay(
        actor_for_user(world.users["alice"]),
        loan.number,
        amount=_money(quote),
        currency="CNY",
        payment_token="tok_ok",
        idempotency_key="payoff",
        on=on,
    )


def test_loans_income_book_past_due_charge_offs_and_approvals(credit):  # noqa: F811
    paid = apply(credit, placed_order(credit), on=DAY0).loan  # alice: repays it all
    late = apply(credit, placed_order(credit, "bob"), user="bob", on=DAY0).loan  # bob: never pays
    declined = apply(credit, placed_order(credit, "cashier_sh"), user="cashier_sh", form=BAD_FORM, term=12)
    referred = apply(
        credit, placed_order(credit, "manager_sh"), user="manager_sh", form=BORDERLINE_FORM, term=12
    )
    assert (declined.status, referred.status) == ("declined", "referred")
    catch_up(live=True)  # as the sales events run it: the ledger's finance postings only
    assert _today("credit_book") == _money(paid.principal_minor + late.principal_minor)

    first_due = lending.installments(paid)[0].due_date
    _pay_off(credit, paid, first_due)
    lending.run_daily(first_due + timedelta(days=40))  # bob's loan: two late fees, 40 days past due
    catch_up()
    interest = sum(r.interest_paid_minor for r in lending.installments(paid))
    late.refresh_from_db()
    assert interest > 0 and late.days_past_due == 40 and late.fees_outstanding_minor == 2 * 3000
    for scope in ("company", "market:CN"):
        assert _today("interest_income", scope) == _money(interest)
        assert _today("fee_income", scope) == _money(2 * 3000)
        assert _today("finance_income", scope) == _money(interest + 2 * 3000)
        assert _today("credit_book", scope) == _money(late.outstanding_principal_minor)
        assert _today("credit_past_due_30", scope) == _money(late.outstanding_principal_minor)
        assert _today("charge_offs", scope) == 0
        assert _since(DAY0, "credit_approval_rate", scope) == Decimal("66.7")  # 2 of 3; the referral waits
    assert _today("credit_book", "market:IN") == 0

    lending.run_daily(first_due + timedelta(days=181))  # charged off, with all six late fees
    lending.review_application(
        actor_for_user(credit.users["staff"]), referred.number, approve=True, reason="Known customer"
    )
    catch_up()
    late.refresh_from_db()
    written_off = late.events.get(kind="charge_off").amount_minor
    assert late.status == "charged_off" and written_off == late.written_off_minor + 6 * 3000
    newest = lending.get_application(SYSTEM, referred.number).loan
    for scope in ("company", "market:CN"):
        assert _today("fee_income", scope) == _money(6 * 3000)
        assert _today("charge_offs", scope) == _money(written_off)
        assert _today("credit_book", scope) == _money(newest.principal_minor)  # the others are closed
        assert _today("credit_past_due_30", scope) == 0  # written as 0, not yesterday's figure
        assert _since(DAY0, "credit_approval_rate", scope) == Decimal("75.0")  # the review decided it

    live = _rows()
    assert rebuild() == 0  # no revenue was booked; the finance postings are rebuilt beside it
    assert _rows() == live


def test_premiums_net_of_refunds_consolidated_per_market(world, plan, policy):  # noqa: F811
    set_rate(actor=SYSTEM, currency="INR", valid_from=date(2016, 1, 1), rate=Decimal("0.1"))
    order, serial = sell(world, market="IN")
    insurance.buy_policy(
        actor_for_user(world.users["alice"]), order, serial, "CARE-MI6-12", payment_token="tok_ok"
    )
    catch_up()
    assert _today("insurance_premiums", "market:CN") == Decimal("199.00")
    assert _today("insurance_premiums", "market:IN") == Decimal("1499.00")
    figure = trend(METRICS["insurance_premiums"], "company", *(timezone.now().date(),) * 2).figure
    assert (figure.value, figure.currency) == (Decimal("348.90"), "CNY")  # 199 + 1,499 INR at 0.1
    assert [(r.currency, r.rate) for r in figure.rates] == [("INR", Decimal("0.1"))]
    assert _today("finance_income", "market:IN") == Decimal("1499.00")

    cancelled = insurance.cancel_policies_for_returned_units(
        order_number=policy["order_number"], serials=[policy["serial"]]
    )
    assert cancelled[0].refunded > 0
    catch_up()
    assert _today("insurance_premiums", "market:CN") == Decimal("199.00") - cancelled[0].refunded
    live = _rows()
    rebuild()
    assert _rows() == live


def test_the_page_the_csv_and_the_api_show_finance_metrics(world, plan, policy):  # noqa: F811
    from django.test import Client

    catch_up()
    client = Client()
    client.force_login(world.users["staff"])
    client.cookies["django_language"] = "en"
    today = timezone.now().date().isoformat()
    question = {"metric": "insurance_premiums", "by": "market", "start": today, "end": today}
    page = client.get("/insights/", question)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Insurance premiums" in text and "Credit approval rate" in text and "¥199.00" in text
    answer = client.get("/insights/", question | {"format": "csv"}).content.decode()
    rows = list(csv.DictReader(io.StringIO(answer)))
    assert [(r["metric"], r["scope"], r["value"], r["currency"]) for r in rows] == [
        ("insurance_premiums", "market:CN", "199.00", "CNY")
    ]
    keys = {m["key"]: m for m in client.get("/api/insights/metrics").json()}
    assert {"interest_income", "fee_income", "credit_book", "credit_past_due_30", "charge_offs"} <= set(keys)
    assert keys["credit_approval_rate"]["unit"] == "percent" and keys["credit_book"]["shape"] == "level"
    figures = client.get("/api/insights/figures", question).json()
    assert [(f["name"], f["figure"]["value"]) for f in figures] == [("CN", "199.00")]
