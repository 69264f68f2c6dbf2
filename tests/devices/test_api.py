"""The device cloud over HTTP: owners see only theirs, staff see the fleet, bad input gets a precise 4xx."""

from __future__ import annotations

import pytest
from django.utils import timezone

from millet.devices import services as devices

pytestmark = pytest.mark.django_db


@pytest.fixture
def cam(fleet):
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    return cam


def test_owner_lists_reads_and_commands_only_their_device(fleet, cam):
    alice, bob = fleet.world.client("alice"), fleet.world.client("bob")
    listed = alice.get("/devices/")
    assert listed.status_code == 200 and [d["device_id"] for d in listed.json()] == [cam.device_id]
    assert bob.get("/devices/").json() == []
    assert bob.get(f"/devices/{cam.device_id}").status_code == 404
    assert bob.get(f"/devices/{cam.device_id}/shadow").status_code == 404
    assert bob.post(f"/devices/{cam.device_id}/properties", {"props": {"on": False}}).status_code == 404
    assert bob.get("/devices/?fleet=true").status_code == 403
    sent = alice.post(f"/devices/{cam.device_id}/properties", {"props": {"night-vision": 1}})
    assert sent.status_code == 202, sent.content
    command = sent.json()
    assert command["status"] == "queued" and command["params"]["props"] == {"night-vision": 1}
    shadow = alice.get(f"/devices/{cam.device_id}/shadow").json()
    assert shadow["desired"] == {"night-vision": 1} and shadow["delta"] == {"night-vision": 1}
    detail = alice.get(f"/devices/{cam.device_id}/commands/{command['command_id']}")
    assert detail.status_code == 200 and detail.json()["command_id"] == command["command_id"]
    assert [c["command_id"] for c in alice.get(f"/devices/{cam.device_id}/commands").json()] == [
        command["command_id"]
    ]
    assert bob.get(f"/devices/{cam.device_id}/commands/{command['command_id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"props": {"on": "yes"}}, 422),
        ({"props": {"zoom": 1}}, 422),
        ({"props": {}}, 422),
        ({"props": {"on": True}, "ttl_seconds": 0}, 422),
        ({"nothing": 1}, 422),
    ],
)
def test_bad_commands_are_refused(fleet, cam, body, status):
    assert (
        fleet.world.client("alice").post(f"/devices/{cam.device_id}/properties", body).status_code == status
    )


def test_claim_share_and_release_over_http(fleet):
    unsold = next(iter(fleet.provisioned.values()))
    bob = fleet.world.client("bob")
    refused = bob.post("/devices/claim", {"device_id": unsold.device_id, "claim_token": unsold.claim_token})
    assert refused.status_code == 409 and refused.json()["error"] == "not_sold"
    assert bob.post("/devices/claim", {"device_id": "d-nope", "claim_token": "x" * 10}).status_code == 404
    devices.record_sale(order_number="CN170101-A", customer_id=None, serials=[unsold.serial])
    claimed = bob.post("/devices/claim", {"device_id": unsold.device_id, "claim_token": unsold.claim_token})
    assert claimed.status_code == 201 and claimed.json()["role"] == "owner"
    invited = bob.post(f"/devices/{unsold.device_id}/invitations", {"login": "alice", "role": "read"})
    assert invited.status_code == 202
    assert (
        bob.post(f"/devices/{unsold.device_id}/invitations", {"login": "alice", "role": "root"}).status_code
        == 422
    )
    alice = fleet.world.client("alice")
    accepted = alice.post(f"/devices/invitations/{invited.json()['invitation_id']}/accept")
    assert accepted.status_code == 204
    assert alice.get(f"/devices/{unsold.device_id}").json()["role"] == "read"
    assert alice.post(f"/devices/{unsold.device_id}/properties", {"props": {"on": True}}).status_code == 403
    assert alice.post(f"/devices/{unsold.device_id}/release").status_code == 403
    released = bob.post(f"/devices/{unsold.device_id}/release")
    assert released.status_code == 200 and released.json()["claim_token"]
    assert alice.get(f"/devices/{unsold.device_id}").status_code == 404


def test_staff_provision_revoke_and_see_the_fleet(fleet, cam):
    staff, alice = fleet.world.client("staff"), fleet.world.client("alice")
    body = {"model_urn": "urn:millet-spec:device:camera:c300:1", "batch": "B7", "serials": ["Z-1", "Z-2"]}
    assert alice.post("/devices/provision", body).status_code == 403
    made = staff.post("/devices/provision", body)
    assert made.status_code == 201 and len(made.json()) == 2 and made.json()[0]["secret"]
    assert staff.post("/devices/provision", body).status_code == 409
    assert (
        staff.post("/devices/provision", {**body, "model_urn": "urn:x", "serials": ["Z-3"]}).status_code
        == 404
    )
    assert staff.post("/devices/provision", {**body, "serials": []}).status_code == 422
    fleet_list = staff.get("/devices/?fleet=true&limit=1000").json()
    assert len(fleet_list) == len(fleet.provisioned) + 2
    assert staff.get(f"/devices/{cam.device_id}").json()["role"] == "staff"
    assert staff.post(f"/devices/{cam.device_id}/properties", {"props": {"on": True}}).status_code == 403
    connected = staff.get("/devices/fleet/connected").json()
    assert connected["online"] == 1 and connected["groups"] == [
        {"model_urn": cam.model_urn, "region": "CN", "firmware_version": "1.0.0", "count": 1}
    ]
    assert alice.get("/devices/fleet/connected").status_code == 403
    assert sum(d["count"] for d in staff.get("/devices/fleet/activations?days=7").json()) == 1
    assert staff.get("/devices/fleet/activations?days=0").status_code == 422
    batches = staff.get("/devices/fleet/batches").json()
    assert {b["batch"] for b in batches} == {"B2017-01", "B7"}
    assert alice.post(f"/devices/{cam.device_id}/revoke").status_code == 403
    revoked = staff.post(f"/devices/{cam.device_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["enabled"] is False and not revoked.json()["online"]
    assert staff.post(f"/devices/{cam.device_id}/revoke").status_code == 409
    assert alice.post(f"/devices/{cam.device_id}/secret").status_code == 403
    rotated = staff.post(f"/devices/{cam.device_id}/secret")
    assert rotated.status_code == 201 and devices.check_device_secret(cam.device_id, rotated.json()["secret"])
    assert staff.post("/devices/d-unknown/secret").status_code == 404


def test_unauthenticated_requests_are_refused(fleet, cam, api_client):
    assert api_client().get("/devices/").status_code == 401
    assert api_client().get(f"/devices/{cam.device_id}/shadow").status_code == 401


def test_an_invitation_over_http_answers_alike_for_anyone(fleet, cam):
    """Issue 11: the owner's answer, and their list of invitations, never tell whether an account
    exists; the invitee lists and answers theirs, and the owner sees members and revokes."""
    alice, bob = fleet.world.client("alice"), fleet.world.client("bob")
    path = f"/devices/{cam.device_id}/invitations"
    answers = {login: alice.post(path, {"login": login, "role": "control"}) for login in ("bob", "nobody-x")}
    assert {r.status_code for r in answers.values()} == {202}
    shapes = {login: r.json() for login, r in answers.items()}
    assert {tuple(sorted(b)) for b in shapes.values()} == {("created_at", "invitation_id", "login", "role")}
    assert [i["login"] for i in alice.get(path).json()] == ["nobody-x", "bob"]
    (mine,) = bob.get("/devices/invitations").json()
    assert (mine["device_id"], mine["invited_by"], mine["role"]) == (cam.device_id, "alice", "control")
    assert bob.post(f"/devices/invitations/{mine['invitation_id']}/maybe").status_code == 422
    assert alice.post(f"/devices/invitations/{mine['invitation_id']}/accept").status_code == 404
    assert bob.post(f"/devices/invitations/{mine['invitation_id']}/accept").status_code == 204
    assert alice.get(f"/devices/{cam.device_id}/shares").json() == [{"username": "bob", "role": "control"}]
    assert bob.get(f"/devices/{cam.device_id}").json()["role"] == "control"
    nobodys = shapes["nobody-x"]["invitation_id"]
    assert bob.delete(f"{path}/{nobodys}").status_code == 403  # a member, not the owner
    assert alice.delete(f"{path}/{nobodys}").status_code == 204
    assert alice.delete(f"{path}/{nobodys}").status_code == 404
    assert alice.get(path).json() == []


def test_the_next_owner_sees_none_of_the_last_owners_commands(fleet, cam):
    """Releasing a unit wipes its owner's data for the next one (shadow, shares, automations,
    history), but the commands the last owner sent (what they set, which actions, and the device's
    answers) were still listed to whoever claimed it next. Staff still see every command."""
    alice, bob, staff = (fleet.world.client(u) for u in ("alice", "bob", "staff"))
    sent = alice.post(f"/devices/{cam.device_id}/properties", {"props": {"night-vision": 1}}).json()
    token = alice.post(f"/devices/{cam.device_id}/release").json()["claim_token"]
    claimed = bob.post("/devices/claim", {"device_id": cam.device_id, "claim_token": token})
    assert claimed.status_code == 201, claimed.content
    assert bob.get(f"/devices/{cam.device_id}/commands").json() == []
    theirs = bob.get(f"/devices/{cam.device_id}/commands/{sent['command_id']}")
    assert (theirs.status_code, theirs.json()["error"]) == (404, "unknown_command")
    mine = bob.post(f"/devices/{cam.device_id}/properties", {"props": {"night-vision": 0}}).json()
    assert [c["command_id"] for c in bob.get(f"/devices/{cam.device_id}/commands").json()] == [
        mine["command_id"]
    ]
    assert bob.get(f"/devices/{cam.device_id}/commands/{mine['command_id']}").status_code == 200
    assert [c["command_id"] for c in staff.get(f"/devices/{cam.device_id}/commands").json()] == [
        mine["command_id"],
        sent["command_id"],
    ]


def test_the_next_owner_does_not_get_the_last_owners_room(fleet, cam):
    """Unbinding took the unit out of its owner's home but kept the room they had named ("Emma's
    room"), shown to whoever claimed it next and kept when they put it in a home of theirs."""
    alice, bob = fleet.world.client("alice"), fleet.world.client("bob")
    devices.place_device(
        fleet.actor("alice"),
        cam.device_id,
        devices.create_home(fleet.actor("alice"), "Flat").pk,
        "Emma's room",
    )
    token = alice.post(f"/devices/{cam.device_id}/release").json()["claim_token"]
    claimed = bob.post("/devices/claim", {"device_id": cam.device_id, "claim_token": token})
    assert claimed.status_code == 201 and (claimed.json()["home_id"], claimed.json()["room"]) == (None, "")
    assert bob.get(f"/devices/{cam.device_id}").json()["room"] == ""
