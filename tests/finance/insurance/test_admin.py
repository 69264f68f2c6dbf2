"""The back office's plan form obeys the rules ``create_plan`` does (``check_plan``,
``check_plan_price``): a plan or price the API would refuse is refused here too, a price is in its
market's currency, and a plan keeps its SKU once made."""

from __future__ import annotations

import json

import pytest

from millet.insurance.models import PlanPrice, ProtectionPlan

pytestmark = pytest.mark.django_db


def plan_form(world, **changes) -> dict:
    data = {
        "code": "CARE-NEW",
        "name": "New care",
        "sku": world.skus["MI6-64"].pk,
        "sku_code": "MI6-64",  # the form's own field before it was derived from the SKU
        "term_months": "12",
        "perils": json.dumps(["accidental_damage"]),
        "max_claims": "2",
        "purchase_window_days": "30",
        "is_active": "on",
        "prices-TOTAL_FORMS": "1",
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
        "prices-0-market": "DE",
        "prices-0-currency": "CNY",
        "prices-0-premium": "49.00",
        "prices-0-cover_limit": "500.00",
        "prices-0-excess": "25.00",
    }
    return {**data, **changes}


def test_a_plan_price_added_in_the_back_office_is_in_its_markets_currency(world, admin_client):
    response = admin_client.post("/admin/insurance/protectionplan/add/", plan_form(world))
    assert response.status_code == 302, response.content
    price = PlanPrice.objects.get(plan__code="CARE-NEW")
    assert (price.market_id, price.currency) == ("DE", "EUR")
    assert ProtectionPlan.objects.get(code="CARE-NEW").sku_code == "MI6-64"


@pytest.mark.parametrize(
    "changes",
    [
        {"perils": json.dumps(["meteor"])},  # no such peril
        {"perils": json.dumps([])},  # covers nothing
        {"term_months": "600"},  # beyond MAX_TERM_MONTHS
        {"max_claims": "99"},
        {"purchase_window_days": "5000"},
        {"code": "care new!"},
        {"sku": "CABLE-C"},  # no serial numbers to bind a policy to (replaced by its pk below)
        {"prices-0-premium": "1000000000.00"},  # beyond any amount the platform books
        {"prices-0-excess": "500.00"},  # not below the cover
    ],
)
def test_the_back_office_refuses_a_plan_create_plan_refuses(world, admin_client, changes):
    if changes.get("sku") == "CABLE-C":
        changes = {"sku": world.skus["CABLE-C"].pk, "sku_code": "CABLE-C"}
    response = admin_client.post("/admin/insurance/protectionplan/add/", plan_form(world, **changes))
    assert response.status_code == 200
    assert not ProtectionPlan.objects.filter(code__in=["CARE-NEW", "care new!"]).exists()


def test_an_insurance_forms_refusal_is_in_the_admins_language(world, admin_client):
    """The plan forms showed the service's English detail ('the excess must be below the cover
    limit', 'unknown peril(s)') in a Chinese admin."""
    admin_client.cookies["django_language"] = "zh-hans"
    excess = admin_client.post(
        "/admin/insurance/protectionplan/add/", plan_form(world, **{"prices-0-excess": "500.00"})
    ).content.decode()
    assert "免赔额必须低于保障限额。" in excess and "the excess must be below" not in excess
    perils = admin_client.post(
        "/admin/insurance/protectionplan/add/", plan_form(world, perils=json.dumps(["meteor"]))
    ).content.decode()
    assert "（不能是 meteor）" in perils and "unknown peril" not in perils


def test_a_plans_sku_is_read_only_once_made(world, plan, admin_client):
    price = plan.prices.get(market="CN")
    other = world.skus["CAM-C300"]
    form = plan_form(
        world,
        code=plan.code,
        sku=other.pk,
        sku_code=other.code,
        **{
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "2",
            "prices-0-id": price.pk,
            "prices-0-plan": plan.pk,
            "prices-0-market": "CN",
            "prices-0-premium": "209.00",
            "prices-0-cover_limit": "2000.00",
            "prices-0-excess": "99.00",
            "prices-1-id": plan.prices.get(market="IN").pk,
            "prices-1-plan": plan.pk,
            "prices-1-market": "IN",
            "prices-1-premium": "1499.00",
            "prices-1-cover_limit": "15000.00",
            "prices-1-excess": "500.00",
        },
    )
    response = admin_client.post(f"/admin/insurance/protectionplan/{plan.pk}/change/", form)
    assert response.status_code == 302, response.content
    plan.refresh_from_db()
    assert (plan.sku_id, plan.sku_code) == (world.skus["MI6-64"].pk, "MI6-64")
    price.refresh_from_db()
    assert (price.premium, price.currency) == (209, "CNY")


def test_a_plan_price_keeps_its_market_once_made(world, plan, admin_client):
    """Moved to DE, CNY 199.00 would sell as EUR 199.00 (``check_plan_price`` takes the new market's
    currency)."""
    price, other = plan.prices.get(market="CN"), plan.prices.get(market="IN")
    form = plan_form(
        world,
        code=plan.code,
        **{
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "2",
            "prices-0-id": price.pk,
            "prices-0-plan": plan.pk,
            "prices-0-market": "DE",
            "prices-0-premium": "209.00",
            "prices-0-cover_limit": "2000.00",
            "prices-0-excess": "99.00",
            "prices-1-id": other.pk,
            "prices-1-plan": plan.pk,
            "prices-1-market": "IN",
            "prices-1-premium": str(other.premium),
            "prices-1-cover_limit": str(other.cover_limit),
            "prices-1-excess": str(other.excess),
        },
    )
    response = admin_client.post(f"/admin/insurance/protectionplan/{plan.pk}/change/", form)
    assert response.status_code == 302, response.content
    price.refresh_from_db()
    assert (price.market_id, price.currency, price.premium) == ("CN", "CNY", 209)
