"""Claims checked against the insured unit's own telemetry, with real device rows.

The phone is provisioned in the device cloud, bound to its buyer by the sale and its first
connection, and its messages go through the ingestion worker's own parsing (validated against the
model's spec), storage and event handling; only the broker hop is left out. The policy is backdated
so an incident can lie days in the past with messages before and after it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.catalog import services as catalog
from millet.core.errors import Unprocessable
from millet.devices import services as devices
from millet.devices.mqtt.decoder import decode
from millet.devices.telemetry import storage
from millet.finance.models import LedgerTransfer
from millet.insurance import services
from millet.insurance.models import Claim, Policy
from millet.insurance.services import PriceInput
from tests.finance.insurance.conftest import sell

pytestmark = pytest.mark.django_db

PHONE = "urn:millet-spec:device:phone:mi6:1"
PHONE_SPEC = {
    "services": [
        {
            "siid": 2,
            "type": "phone",
            "description": "Phone health",
            "properties": [
                {"piid": 1, "name": "battery", "format": "uint8", "access": ["read", "notify"],
                 "value_range": [0, 100, 1]},
            ],
            "actions": [],
            "events": [
                {"eiid": 1, "name": "drop-detected", "arguments": []},
                {"eiid": 2, "name": "liquid-detected", "arguments": []},
                {"eiid": 3, "name": "fault", "arguments": []},
                {"eiid": 4, "name": "low-battery", "arguments": [1]},
            ],
        }
    ]
}  # fmt: skip
NOW = timezone.now().replace(microsecond=0)  # device clocks send milliseconds
INCIDENT = NOW - timedelta(days=5)


class Phone:
    """One connected, insured phone and the uplink messages it sends."""

    def __init__(self, world, device_id: str, policy: str) -> None:
        self.world, self.device_id, self.policy = world, device_id, policy
        self.seq = {"telemetry": 0, "events": 0}

    def send(self, channel: str, at: datetime, **message) -> None:
        """What the ingestion worker does with one message, minus the broker: parse and validate it
        against the spec, store it, and hand events to the devices domain, in one transaction."""
        self.seq[channel] += 1
        payload = json.dumps({"seq": self.seq[channel], "ts": int(at.timestamp() * 1000), **message})
        decoded = decode(f"millet/v1/d/{self.device_id}/{channel}", payload.encode(), NOW)
        row = decoded.value
        with transaction.atomic():
            assert storage.insert_rows([row]) == [row]
            if row.kind == "e":
                devices.record_event(
                    decoded.device_id, row.body["event"], row.body["args"], row.ts, seq=row.seq
                )

    def event(self, name: str, at: datetime, **args) -> None:
        self.send("events", at, event=name, args=args)

    def report(self, at: datetime, battery: int = 80) -> None:
        self.send("telemetry", at, props={"battery": battery})

    def claim(self, peril: str, *, at: datetime = INCIDENT, amount: str = "600.00") -> dict:
        filed = self.world.client("alice").post(
            f"/insurance/policies/{self.policy}/claims",
            {"peril": peril, "incident_at": at.isoformat(), "amount": amount, "description": "it happened"},
        )
        assert filed.status_code == 201, filed.content
        return filed.json()


@pytest.fixture
def all_risks(world):
    return services.create_plan(
        SYSTEM,
        code="CARE-MI6-ALL",
        name="Mi Care all risks",
        sku_code="MI6-64",
        term_months=12,
        perils=["accidental_damage", "liquid_damage", "breakdown", "theft"],
        prices=[PriceInput("CN", "299.00", "2000.00", "99.00")],
        max_claims=4,
    )


@pytest.fixture
def phone(world, all_risks, django_capture_on_commit_callbacks) -> Phone:
    """alice's phone: sold (the sale event reaches the device cloud), provisioned, online, insured."""
    with django_capture_on_commit_callbacks(execute=True):
        order, serial = sell(world)
        catalog.create_device_model(PHONE, "Mi 6", PHONE_SPEC, actor=SYSTEM)
        (identity,) = devices.provision_batch(
            model_urn=PHONE, serials=[serial], batch="B2017-06", actor=SYSTEM
        )
        devices.set_presence(identity.device_id, True, NOW - timedelta(days=9))  # binds it to alice
    bought = world.client("alice").post(
        "/insurance/policies",
        {"order_number": order, "serial": serial, "plan": "CARE-MI6-ALL", "payment_token": "tok_ok"},
    )
    assert bought.status_code == 201, bought.content
    Policy.objects.filter(number=bought.json()["number"]).update(starts_at=NOW - timedelta(days=10))
    return Phone(world, identity.device_id, bought.json()["number"])


def test_a_fault_event_supports_a_breakdown_claim(world, phone, handler):
    phone.report(INCIDENT - timedelta(days=1))
    phone.event("low-battery", INCIDENT - timedelta(hours=3), battery=4)
    phone.event("fault", INCIDENT - timedelta(hours=2))
    phone.event("fault", INCIDENT - timedelta(days=4))  # outside the window: not this incident
    claim = phone.claim("breakdown")
    assert claim["evidence_verdict"] == "supported"
    evidence = claim["evidence"]
    assert evidence["connected"] and evidence["bound_to_holder"] and evidence["device_id"] == phone.device_id
    assert [e["name"] for e in evidence["events"]] == ["low-battery", "fault"]
    assert evidence["matching_events"] == [
        {"at": (INCIDENT - timedelta(hours=2)).isoformat(), "name": "fault"}
    ]
    assert evidence["summary"].startswith("The unit reported fault at ")
    assert world.client("alice").get(f"/insurance/claims/{claim['number']}").json()["evidence"] == evidence
    decided = handler.post(f"/insurance/claims/{claim['number']}/decision", {"approve": True})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"


@pytest.mark.parametrize(
    "peril, event, verdict",
    [
        ("accidental_damage", "drop-detected", "supported"),
        ("liquid_damage", "liquid-detected", "supported"),
        ("accidental_damage", "liquid-detected", "no_evidence"),  # wrong kind of event
        ("breakdown", "low-battery", "no_evidence"),
    ],
)
def test_only_an_event_of_the_claimed_kind_supports_a_claim(world, phone, peril, event, verdict):
    phone.event(event, INCIDENT + timedelta(minutes=1), **({"battery": 3} if event == "low-battery" else {}))
    claim = phone.claim(peril)
    assert (claim["evidence_verdict"], [e["name"] for e in claim["evidence"]["events"]]) == (verdict, [event])
    if verdict == "no_evidence":
        assert "reported no" in claim["evidence"]["summary"]


def test_a_stolen_phone_still_reporting_from_home_is_referred_not_approved(world, phone, handler):
    alice = actor_for_user(world.users["alice"])
    home = devices.create_home(alice, "Flat")
    devices.place_device(alice, phone.device_id, home.pk)
    phone.report(INCIDENT - timedelta(hours=1))
    phone.report(INCIDENT + timedelta(minutes=30))  # queued on the unit: inside the grace period
    phone.report(INCIDENT + timedelta(days=2))
    phone.report(INCIDENT + timedelta(days=3), battery=55)
    claim = phone.claim("theft", amount="1500.00")
    assert claim["evidence_verdict"] == "refer"
    evidence = claim["evidence"]
    assert (evidence["reports_after_incident"], evidence["in_home"]) == (2, True)
    assert "2 message(s) from the holder's home" in evidence["summary"]
    number = claim["number"]
    queue = handler.get("/insurance/claims?evidence=refer").json()["items"]
    assert [c["number"] for c in queue] == [number]
    assert handler.get("/insurance/claims?evidence=supported").json()["items"] == []
    assert handler.get("/insurance/claims?evidence=maybe").status_code == 422

    transfers = LedgerTransfer.objects.count()
    silent = handler.post(f"/insurance/claims/{number}/decision", {"approve": True})
    assert (silent.status_code, silent.json()["error"]) == (422, "referral_reason_required")
    assert LedgerTransfer.objects.count() == transfers
    assert Claim.objects.get(number=number).status == "submitted"
    overridden = handler.post(
        f"/insurance/claims/{number}/decision",
        {"approve": True, "reason": "police report: stolen with the home router, recovered later"},
    )
    assert overridden.status_code == 200 and overridden.json()["status"] == "approved"
    assert LedgerTransfer.objects.count() == transfers + 1


def test_a_stolen_phone_that_went_silent_is_not_referred(world, phone, handler):
    phone.report(INCIDENT - timedelta(hours=1))
    phone.report(INCIDENT + timedelta(minutes=20))
    claim = phone.claim("theft", amount="1500.00")
    assert claim["evidence_verdict"] == "no_evidence"
    assert claim["evidence"]["reports_after_incident"] == 0
    assert claim["evidence"]["summary"] == "No report from the holder's account after the reported theft."
    decided = handler.post(f"/insurance/claims/{claim['number']}/decision", {"approve": True})
    assert decided.status_code == 200


def test_reports_from_someone_elses_account_do_not_refer_a_theft(world, phone):
    devices.release_device(actor_for_user(world.users["alice"]), phone.device_id)
    phone.report(INCIDENT + timedelta(days=1))
    claim = phone.claim("theft", amount="1500.00")
    assert claim["evidence_verdict"] == "no_evidence"
    assert not claim["evidence"]["bound_to_holder"]


def test_units_without_a_device_identity_are_not_checked(world, policy):
    filed = world.client("alice").post(
        f"/insurance/policies/{policy['number']}/claims",
        {"peril": "accidental_damage", "incident_at": timezone.now().isoformat(), "amount": "600.00"},
    )
    assert filed.status_code == 201, filed.content
    assert filed.json()["evidence_verdict"] == "not_connected"
    assert filed.json()["evidence"] == {
        "connected": False,
        "summary": "Not a connected unit: no telemetry to check.",
    }


def test_the_evidence_read_reports_facts_for_one_serial(world, phone):
    serial = Policy.objects.get(number=phone.policy).serial
    phone.event("drop-detected", INCIDENT)
    phone.report(INCIDENT + timedelta(hours=5))
    window = {"start": INCIDENT - timedelta(hours=1), "end": INCIDENT + timedelta(hours=1)}
    activity = devices.device_activity_for_serial(serial, **window, reports_after=INCIDENT)
    assert activity.device_id == phone.device_id
    assert activity.owner_id == world.users["alice"].pk and activity.online
    assert [e.name for e in activity.events] == ["drop-detected"]
    assert activity.reports_after == 1
    assert activity.last_report_at == INCIDENT + timedelta(hours=5)
    assert devices.device_activity_for_serial("NO-SUCH-UNIT", **window, reports_after=INCIDENT) is None
    with pytest.raises(Unprocessable):
        devices.device_activity_for_serial(serial, start=datetime(2026, 1, 1), end=NOW, reports_after=NOW)
    with pytest.raises(Unprocessable):
        devices.device_activity_for_serial(serial, start=NOW, end=NOW, reports_after=NOW)


def test_the_admin_shows_the_evidence(world, phone):
    phone.event("drop-detected", INCIDENT)
    number = phone.claim("accidental_damage")["number"]
    admin_user = world.users["staff"]
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get("/admin/insurance/claim/", {"evidence_verdict": "supported"}).status_code == 200
    page = browser.get(f"/admin/insurance/claim/{Claim.objects.get(number=number).pk}/change/")
    assert page.status_code == 200
    assert "The unit reported drop-detected at" in page.content.decode()
