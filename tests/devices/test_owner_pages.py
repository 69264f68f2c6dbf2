"""The owner app's pages answer strangers with nothing: a claim of someone else's unit reads exactly
like an unknown code, another person's automation or device is a 404, and the claim code's shape."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.devices import services as devices
from millet.devices.claim_views import parse_code
from millet.devices.models import DeviceInvitation, Rollout
from tests.devices.conftest import C300

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """Pages in English, whatever the market's first language."""
    client.cookies["django_language"] = "en"
    return client


def refusal(response) -> str:
    text = response.content.decode()
    return text[text.index('role="alert"') :][:200]


def test_claiming_someone_elses_unit_reads_like_an_unknown_code(fleet, client):
    (cam,) = fleet.sell("alice")  # sold to alice, not yet switched on: its box code still works
    client.force_login(fleet.world.users["bob"])
    theirs = client.post("/devices/claim/", {"code": f"MILLET:{cam.device_id}:{cam.claim_token}"})
    unknown = client.post("/devices/claim/", {"code": "MILLET:d0000000000000000000:not-a-real-token"})
    garbled = client.post("/devices/claim/", {"code": "hello"})
    assert theirs.status_code == unknown.status_code == garbled.status_code == 422
    assert refusal(theirs) == refusal(unknown) == refusal(garbled)
    assert cam.device_id not in theirs.content.decode().replace(cam.device_id, "", 1)  # only echoed once
    client.force_login(fleet.world.users["alice"])
    mine = client.post("/devices/claim/", {"code": f"{cam.device_id}:{cam.claim_token}"}, follow=True)
    assert "is yours now" in mine.content.decode()
    assert [d.device_id for d in devices.list_devices(fleet.actor("alice"))] == [cam.device_id]
    # A second click (binding consumed the token) told the new owner the code adds nothing.
    again = client.post("/devices/claim/", {"code": f"{cam.device_id}:{cam.claim_token}"}, follow=True)
    assert again.status_code == 200 and "is already yours" in again.content.decode()
    client.force_login(fleet.world.users["bob"])  # anyone else still reads the one refusal
    theirs_now = client.post("/devices/claim/", {"code": f"{cam.device_id}:{cam.claim_token}"})
    assert theirs_now.status_code == 422 and refusal(theirs_now) == refusal(unknown)


def test_another_persons_automation_and_device_are_not_found(fleet, client):
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    home = devices.create_home(alice, "Flat")
    automation = devices.create_automation(
        alice,
        home.pk,
        name="Night",
        trigger_type="time",
        trigger={"at": "22:00"},
        conditions=[],
        actions=[{"type": "set", "device": cam.device_id, "props": {"on": False}}],
    )
    client.force_login(fleet.world.users["alice"])
    assert (
        "at 22:00 on mon, tue, wed, thu, fri, sat, sun"
        in client.get("/devices/automations/").content.decode()
    )
    client.force_login(fleet.world.users["bob"])
    assert b"Night" not in client.get("/devices/automations/").content
    for url, data in (
        (f"/devices/automations/{automation.pk}/delete/", {}),
        (f"/devices/automations/{automation.pk}/enabled/", {"enabled": "false"}),
        (f"/devices/sharing/{cam.device_id}/invite/", {"login": "bob", "role": "read"}),
        (f"/devices/updates/{cam.device_id}/start/", {}),
        ("/devices/invitations/1/accept/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert devices.list_automations(alice, home.pk)[0].enabled


def test_an_editor_post_without_choices_is_answered_on_the_fields(fleet, client):
    fleet.sell("alice")
    client.force_login(fleet.world.users["alice"])
    response = client.post("/devices/automations/new/", {"name": ""})
    assert response.status_code == 422
    assert b"Choose what starts the automation." in response.content


def test_the_code_under_the_qr_code():
    assert parse_code(" MILLET:d123:tok-en_1 ") == ("d123", "tok-en_1")
    assert parse_code("millet:d123:tok") == ("d123", "tok")
    assert parse_code("d123:tok") == ("d123", "tok")
    assert parse_code("d123") is None
    assert parse_code("MILLET::tok") is None
    assert parse_code("x" * 200) is None


def test_the_back_office_lists_invitations(fleet, admin_client):
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    devices.invite(fleet.actor("alice"), cam.device_id, "bob", "read")
    listing = admin_client.get("/admin/devices/deviceinvitation/", {"q": "bob"})
    assert listing.status_code == 200 and cam.device_id in listing.content.decode()


def test_a_refused_owner_form_is_answered_on_its_page_and_changes_nothing(fleet, client):
    """Every form of the owner's app that a service refuses comes back on its own page with the
    service's status (never a redirect), and nothing is created, moved or sent."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    client.force_login(fleet.world.users["alice"])
    device_page = f"/devices/{cam.device_id}/"
    for url, data, status, page_text in (
        ("/devices/homes/", {"name": ""}, 422, "Add a home"),
        (f"{device_page}place", {"home": "", "room": "x" * 65}, 422, "Add a home"),
        (f"{device_page}set", {"prop": "on", "value": "maybe"}, 422, "Recent commands"),
        (f"{device_page}set", {"prop": "no_such_property", "value": "1"}, 404, "Recent commands"),
        (f"/devices/sharing/{cam.device_id}/invite/", {"login": "", "role": "read"}, 422, "Device sharing"),
        (f"/devices/updates/{cam.device_id}/start/", {}, 409, "no newer software to install"),
    ):
        answer = client.post(url, data)
        assert answer.status_code == status, url
        assert "alert--error" in answer.content.decode() and page_text in answer.content.decode(), url
    assert devices.list_homes(alice) == []
    assert devices.list_devices(alice)[0].room == ""
    assert devices.list_commands(alice, cam.device_id) == []
    assert not DeviceInvitation.objects.exists() and not Rollout.objects.exists()


def upload_c300_firmware(version: str) -> None:
    """A firmware image for the C300 camera, newer than the fleet's: an update the owner may start."""
    devices.upload_firmware(
        SYSTEM,
        model_urn=C300,
        version=version,
        url=f"https://fw.millet.local/c300/{version}.bin",
        sha256=hashlib.sha256(version.encode()).hexdigest(),
        size=1024,
    )


def test_an_update_that_cannot_start_says_why(fleet, client):
    """The updates page said "no update to start now" for each of the service's three conflicts;
    an update already under way now says so."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())  # switched on: bound to alice
    upload_c300_firmware("9.0.0")
    client.force_login(fleet.world.users["alice"])
    start = f"/devices/updates/{cam.device_id}/start/"
    assert client.post(start).status_code == 302
    again = client.post(start)
    assert again.status_code == 409
    assert "An update of this device is already under way." in again.content.decode()
    assert Rollout.objects.count() == 1


def test_a_nul_in_any_owner_form_is_a_400_and_changes_nothing(fleet, client):
    """PostgreSQL cannot store NUL: forms whose fields the views read as they come (a home's name, a
    room, a login, a member, a claim code) answered 500 with it; now every one is a 400 up front."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    home = devices.create_home(alice, "Flat")
    client.force_login(fleet.world.users["alice"])
    for url, data in (
        ("/devices/homes/", {"name": "Lo\x00ft"}),
        (f"/devices/{cam.device_id}/place", {"home": str(home.pk), "room": "Hall\x00"}),
        (f"/devices/sharing/{cam.device_id}/invite/", {"login": "bob\x00", "role": "read"}),
        (f"/devices/sharing/{cam.device_id}/members/remove/", {"username": "bob\x00"}),
        ("/devices/claim/", {"code": f"MILLET:{cam.device_id}\x00:{cam.claim_token}"}),
        (f"/devices/{cam.device_id}/place", {"home\x00": str(home.pk)}),
    ):
        answer = client.post(url, data)
        assert answer.status_code == 400, url
        assert "NUL" in answer.content.decode(), url
    assert [h.name for h in devices.list_homes(alice)] == ["Flat"]
    assert devices.list_devices(alice)[0].home_id is None
    assert not DeviceInvitation.objects.exists()


@pytest.mark.parametrize("home", ["\u00b2", "1\u00b9", "abc", "-1"])
def test_a_home_that_is_no_number_is_not_found_and_moves_nothing(fleet, client, home):
    """The device card's home is "" (none) or a home's id: "²" passed ``isdigit`` and broke ``int``
    (500), and any other text silently took the device out of its home."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    flat = devices.create_home(alice, "Flat")
    devices.place_device(alice, cam.device_id, flat.pk, "Hall")
    client.force_login(fleet.world.users["alice"])
    assert client.post(f"/devices/{cam.device_id}/place", {"home": home, "room": "Attic"}).status_code == 404
    (info,) = devices.list_devices(alice)
    assert (info.home_id, info.room) == (flat.pk, "Hall")
    moved = client.post(f"/devices/{cam.device_id}/place", {"home": "", "room": ""})
    assert moved.status_code == 302 and devices.list_devices(alice)[0].home_id is None


def test_the_owner_pages_name_a_device_in_the_visitors_language(fleet, client):
    """The device page said "Mi होम कैमरा" in Hindi, but the automations, sharing, updates and claim
    pages named the same unit by its device model's name, in English ("Camera C300 · ...")."""
    catalog.translate_product("mi-cam", "hi", name="Mi होम कैमरा", actor=SYSTEM)
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    devices.create_home(fleet.actor("alice"), "Flat")
    upload_c300_firmware("9.0.0")
    client.force_login(fleet.world.users["alice"])
    client.cookies["django_language"] = "hi"
    named = f"Mi होम कैमरा · {cam.serial}"
    for url in ("/devices/automations/new/", "/devices/sharing/", "/devices/updates/"):
        page = client.get(url).content.decode()
        assert named in page and "Camera C300" not in page, url
    claimed = client.post("/devices/claim/", {"code": f"{cam.device_id}:{cam.claim_token}"}, follow=True)
    assert "Mi होम कैमरा" in claimed.content.decode() and "Camera C300" not in claimed.content.decode()


def test_the_automation_editor_and_device_page_speak_the_visitors_language(fleet, client):
    """In Hindi the device page said "पावर", but the automation editor offered the same property as
    "On" and "Night vision", and both offered a value list's raw spec words ("auto", "off")."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    home = devices.create_home(alice, "Flat")
    devices.create_automation(
        alice,
        home.pk,
        name="Dark",
        trigger_type="property",
        trigger={"device": cam.device_id, "property": "night-vision", "op": "==", "value": 0},
        conditions=[],
        actions=[{"type": "set", "device": cam.device_id, "props": {"on": False}}],
    )
    client.force_login(fleet.world.users["alice"])
    client.cookies["django_language"] = "hi"
    editor = client.post(
        "/devices/automations/new/", {"refresh": "1", "trigger": f"{cam.device_id}|property|night-vision"}
    ).content.decode()
    assert ": पावर</option>" in editor and ": नाइट विज़न</option>" in editor
    assert ">ऑटो</option>" in editor and ">auto</option>" not in editor
    listed = client.get("/devices/automations/").content.decode()
    assert "नाइट विज़न" in listed and "ऑटो" in listed and "Night vision" not in listed
    device_page = client.get(f"/devices/{cam.device_id}/").content.decode()
    assert ">ऑटो</option>" in device_page and ">auto</option>" not in device_page


def test_a_refused_automation_value_is_explained_in_the_owners_language(fleet, client):
    """A value the device does not take ("7" for night vision, "maybe" for power, a comparison the
    editor never offers, a 300-character message) came back in English with the spec's internals,
    "siid=2 piid=2 (night-vision, uint8): 7 is not one of [0, 1]", on a Hindi page."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    devices.create_home(alice, "Flat")
    client.force_login(fleet.world.users["alice"])
    client.cookies["django_language"] = "hi"
    night, power = f"{cam.device_id}|property|night-vision", f"{cam.device_id}|property|on"
    notify = {"action": "|notify|", "message": "अंधेरा"}
    for posted, words in (
        ({"trigger": night, "trigger_value": "7"}, "दिए गए मानों में से एक चुनें।"),
        ({"trigger": night, "trigger_value": "²"}, "दिए गए मानों में से एक चुनें।"),
        ({"trigger": night, "trigger_op": ">", "trigger_value": "1"}, "सूची से चुनें कि मान की तुलना कैसे हो।"),
        ({"trigger": power, "trigger_value": "maybe"}, "दिए गए मानों में से एक चुनें।"),
        ({"trigger": power, "trigger_value": "true", "action": "|notify|", "message": "x" * 300}, "1 से 256"),
    ):
        answer = client.post("/devices/automations/new/", {"name": "Dark", **notify, **posted})
        text = answer.content.decode()
        assert answer.status_code == 422 and words in text, posted
        assert "siid" not in text and "is not one of" not in text and "expected" not in text, posted
    assert devices.list_automations(alice, devices.list_homes(alice)[0].pk) == []
    saved = client.post(
        "/devices/automations/new/", {"name": "Dark", **notify, "trigger": night, "trigger_value": "0"}
    )
    assert saved.status_code == 302


def test_the_automation_editor_saves_a_form_sent_twice_once(fleet, client):
    """A reload of the editor's answer, or a second Save while the first was slow, made a second
    identical automation: the editor's save carried no idempotency key. Its one-time key makes the
    repeat answer like the first; the key spent on other choices (Back, then edit) gets a new one."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    home = devices.create_home(alice, "Flat")
    client.force_login(fleet.world.users["alice"])
    editor = client.get("/devices/automations/new/").content.decode()
    (attempt,) = re.findall(r'name="attempt" value="([0-9a-f]{32})"', editor)
    form = {"name": "Dark", "trigger": f"{cam.device_id}|property|on", "trigger_value": "true"}
    form |= {"action": "|notify|", "message": "On", "attempt": attempt}
    assert client.post("/devices/automations/new/", form).status_code == 302
    assert client.post("/devices/automations/new/", form).status_code == 302
    assert [a.name for a in devices.list_automations(alice, home.pk)] == ["Dark"]
    other = client.post("/devices/automations/new/", form | {"name": "Light"})
    assert other.status_code == 422
    (fresh,) = re.findall(r'name="attempt" value="([0-9a-f]{32})"', other.content.decode())
    assert fresh != attempt
    assert (
        client.post("/devices/automations/new/", form | {"name": "Light", "attempt": fresh}).status_code
        == 302
    )
    damaged = client.post("/devices/automations/new/", form | {"name": "Dusk", "attempt": "²" * 32})
    assert damaged.status_code == 302
    assert sorted(a.name for a in devices.list_automations(alice, home.pk)) == ["Dark", "Dusk", "Light"]


def test_a_refused_device_form_says_why_in_the_owners_language(fleet, client):
    """The devices pages' refusals were the services' English details on a Hindi page: "name must
    be 1 to 64 characters", "room must be at most 64 characters", "unknown action 'explode'", and a value the
    spec refused as "siid=2 piid=1 (on, bool): expected true or false, got 'maybe'"."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    client.force_login(fleet.world.users["alice"])
    client.cookies["django_language"] = "hi"
    device_page = f"/devices/{cam.device_id}/"
    for url, data, status, words in (
        ("/devices/homes/", {"name": " "}, 422, "घर को 1 से 64 अक्षरों का नाम दें।"),
        (f"{device_page}place", {"home": "", "room": "x" * 65}, 422, "कमरे को अधिकतम 64 अक्षरों का नाम दें।"),
        (f"{device_page}set", {"prop": "on", "value": "maybe"}, 422, "पावर: दिए गए मानों में से एक चुनें।"),
        (
            f"{device_page}set",
            {"prop": "night-vision", "value": "7"},
            422,
            "नाइट विज़न: दिए गए मानों में से एक चुनें।",
        ),
        (f"{device_page}action", {"action": "explode"}, 422, "इस डिवाइस में ऐसा कोई काम नहीं है।"),
    ):
        answer = client.post(url, data)
        text = answer.content.decode()
        assert answer.status_code == status and words in text, (url, data)
        assert "must be" not in text and "siid" not in text and "unknown" not in text, (url, data)
    assert devices.list_commands(fleet.actor("alice"), cam.device_id) == []


def test_the_owners_digits_are_read_in_any_script_on_the_editor_and_the_device_page(fleet, client):
    """The editor read "१" as 1 (Python's ``int``) while the till refused such digits, and "１．５"
    (a full-width point) was refused here: one rule now (``core.typed_numbers``), on the editor and
    the device page alike, which drew a number input that drops Devanagari digits before sending."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    home = devices.create_home(alice, "Flat")
    client.force_login(fleet.world.users["alice"])
    client.cookies["django_language"] = "hi"
    night = f"{cam.device_id}|property|night-vision"
    for name, typed in (("Dark", "१"), ("Dusk", "１")):
        saved = client.post(
            "/devices/automations/new/",
            {"name": name, "trigger": night, "trigger_value": typed, "action": "|notify|", "message": "x"},
        )
        assert saved.status_code == 302, typed
    assert [a.trigger["value"] for a in devices.list_automations(alice, home.pk)] == [1, 1]
    sent = client.post(f"/devices/{cam.device_id}/set", {"prop": "night-vision", "value": "०"})
    assert sent.status_code == 302 and len(devices.list_commands(alice, cam.device_id)) == 1


def test_a_number_in_the_editor_is_read_by_the_one_rule():
    """Python's ``int`` and ``float`` read "1e5", "nan" and "1_0" as numbers, and refused "１２．５"
    (a full-width point): a number typed here is read as on every other page."""
    from millet.catalog.device_spec import PropertySpec
    from millet.devices.automation_form import parse_value

    ranged = PropertySpec(piid=1, name="level", format="int32", access=["read"])
    real = PropertySpec(piid=2, name="temp", format="float", access=["read"])
    assert [parse_value(ranged, t) for t in ("१२", "１２", "-३", "1e5", "\u00b2", "1_0")] == [
        12,
        12,
        -3,
        "1e5",
        "\u00b2",
        "1_0",
    ]
    assert [parse_value(real, t) for t in ("१२.५", "１２．５", "nan", "1e5")] == [12.5, 12.5, "nan", "1e5"]
