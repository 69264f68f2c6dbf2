"""A policy keeps the cover it was sold with: the perils it covers and the claims it allows are the
plan's at the sale, as its premium, cover limit and excess are. Claims once read the perils and the
claims allowed live from the plan, so a back-office edit of the plan took cover away from policies
already bought."""

from __future__ import annotations

import pytest

from millet.insurance.models import Policy, ProtectionPlan
from tests.finance.insurance.conftest import sell
from tests.finance.insurance.test_insurance import claim_body
from tests.finance.insurance.test_protection_pages import page

# The plan after the sale, as the back office saves it: theft only, one claim per term (the
# policy was sold covering accidental and liquid damage, two claims).
EDITED = {"perils": ["theft"], "max_claims": 1}


@pytest.mark.django_db
def test_claims_are_checked_against_the_policys_own_cover_after_its_plan_is_edited(world, policy, handler):
    ProtectionPlan.objects.filter(code="CARE-MI6-12").update(**EDITED)
    url = f"/insurance/policies/{policy['number']}/claims"
    alice = world.client("alice")

    first = alice.post(url, claim_body())  # accidental damage: covered as sold
    assert first.status_code == 201, first.content
    assert (
        handler.post(f"/insurance/claims/{first.json()['number']}/decision", {"approve": True}).status_code
        == 200
    )
    second = alice.post(url, claim_body(peril="liquid_damage", amount="300.00"))  # the second of two
    assert second.status_code == 201, second.content
    theft = alice.post(url, claim_body(peril="theft"))  # the plan's since, not the policy's
    assert (theft.status_code, theft.json()["error"]) == (409, "peril_not_covered")

    kept = alice.get(f"/insurance/policies/{policy['number']}").json()
    assert (kept["perils"], kept["max_claims"], kept["status"]) == (
        ["accidental_damage", "liquid_damage"],
        2,
        "active",
    )
    html = page(world, "alice").get("/account/protection/").content.decode()
    assert "Accidental damage, Liquid damage" in html and "Theft" not in html
    assert "<dt>Claims allowed</dt><dd>1 of 2 paid</dd>" in html  # the policy's own two, one paid

    order, serial = sell(world)
    body = {"order_number": order, "serial": serial, "plan": "CARE-MI6-12", "payment_token": "tok_ok"}
    later = alice.post("/insurance/policies", body).json()
    assert (later["perils"], later["max_claims"]) == (["theft"], 1)


BEFORE, AFTER = ("insurance", "0004_model_names"), ("insurance", "0005_policy_terms")


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_0005_gives_policies_sold_before_it_the_cover_their_plan_checked_claims_against(
    world, policy, migrate
):
    migrate(BEFORE)  # the policy's cover goes with its columns
    ProtectionPlan.objects.filter(code="CARE-MI6-12").update(**EDITED)
    migrate(AFTER)
    kept = Policy.objects.filter(number=policy["number"]).values_list("perils", "max_claims").get()
    assert kept == (["theft"], 1)
