"""Issue 11 item 6: the claims handler's queue page, through Django's test client: claims with the
unit's telemetry evidence, decided with a reason and paid out through the ledger; nobody else may
use it (the browser journey is tests/browser/test_claims.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from millet.finance.models import LedgerTransfer
from millet.finance.services import balance
from millet.insurance.models import Claim
from tests.finance.insurance.test_claim_evidence import INCIDENT, all_risks, phone  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
RESERVE = "insurance:claims-reserve:CN:CNY"


def signed_in(world, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    client.cookies["django_language"] = "en"
    return client


def test_a_handler_decides_and_pays_from_the_queue(world, phone, handler):  # noqa: F811
    phone.event("fault", INCIDENT - timedelta(hours=2))
    number = phone.claim("breakdown")["number"]
    bob = signed_in(world, "bob")
    queue = bob.get("/claims/").content.decode()
    for seen in (number, "Telemetry supports the claim", "fault", phone.device_id, "Breakdown"):
        assert seen in queue

    no_reason = bob.post(f"/claims/{number}/decide/", {"decision": "reject", "reason": ""})
    assert no_reason.status_code == 422 and "A rejection needs a reason." in no_reason.content.decode()
    assert bob.post(f"/claims/{number}/decide/", {"decision": "approve", "reason": ""}).status_code == 302
    claim = Claim.objects.get(number=number)
    assert (claim.status, claim.payout, claim.decided_by_id) == ("approved", 501, world.users["bob"].pk)
    decided = bob.post(f"/claims/{number}/decide/", {"decision": "reject", "reason": "changed my mind"})
    assert decided.status_code == 409 and Claim.objects.get(number=number).status == "approved"
    reserved = balance(RESERVE)
    assert reserved.credits_posted - reserved.debits_posted == 501_00
    assert "Pay CN¥501.00" in bob.get("/claims/").content.decode()  # English names the yuan's country

    paid = bob.post(f"/claims/{number}/pay/", follow=True)
    assert paid.redirect_chain[0][1] == 302 and f"{number} paid out." in paid.content.decode()
    assert Claim.objects.get(number=number).status == "paid"
    reserved = balance(RESERVE)
    assert reserved.credits_posted - reserved.debits_posted == 0
    transfers = LedgerTransfer.objects.count()
    # Paid already (a second click): the queue again, 409, nothing paid, and it says so where it
    # said "Only an approved claim is paid.", the words for an undecided or rejected claim.
    again = bob.post(f"/claims/{number}/pay/")
    assert again.status_code == 409 and "This claim has already been paid." in again.content.decode()
    assert LedgerTransfer.objects.count() == transfers
    assert Claim.objects.get(number=number).status == "paid"


def test_a_contradicted_claim_needs_a_reason_to_approve(world, phone, handler):  # noqa: F811
    phone.report(INCIDENT + timedelta(days=2))
    number = phone.claim("theft", amount="1500.00")["number"]
    bob = signed_in(world, "bob")
    assert "Telemetry contradicts the claim" in bob.get("/claims/").content.decode()
    refused = bob.post(f"/claims/{number}/decide/", {"decision": "approve", "reason": " "})
    assert refused.status_code == 422
    assert "approving it needs a reason" in refused.content.decode()
    assert Claim.objects.get(number=number).status == "submitted"


def test_only_claims_handlers_and_staff_use_the_queue(world, phone):  # noqa: F811
    number = phone.claim("breakdown")["number"]
    for outsider in ("alice", "manager_sh", "cashier_sh"):
        client = signed_in(world, outsider)
        assert client.get("/claims/").status_code == 403
        assert client.post(f"/claims/{number}/decide/", {"decision": "approve"}).status_code == 403
        assert client.post(f"/claims/{number}/pay/").status_code == 403
    assert Client().get("/claims/").status_code == 302  # to the sign-in page
    staff = signed_in(world, "staff")
    assert staff.get("/claims/").status_code == 200
    assert staff.post("/claims/C-NOPE/decide/", {"decision": "approve"}).status_code == 404
    assert Claim.objects.get(number=number).status == "submitted"
