"""The device owner builds an automation in the editor, choosing from pickers typed by the devices'
specs (no JSON), with JavaScript off and on, and sees it run when a device reports through the
ingest service: the purifier's PM2.5 goes above 100 and the bulb's brightness is set to 80 %."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from millet.devices.models import Command
from tests.browser.conftest import axe, sign_in


def owned_units(owner, kinds: dict[str, str]) -> dict[str, str]:
    """``{kind: serial}`` units of the demo models (purifier, camera, bulb), sold to ``owner`` and
    online; returns ``{kind: device_id}``."""
    ids = {}
    for kind, serial in kinds.items():
        urn, title, services = DEVICE_MODELS[kind]
        catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
        (unit,) = devices.provision_batch(actor=SYSTEM, model_urn=urn, serials=[serial], batch="B1")
        devices.record_sale(order_number=f"CN1-{serial}", customer_id=owner.pk, serials=[serial])
        devices.set_presence(unit.device_id, True, timezone.now())
        ids[kind] = unit.device_id
    devices.forget_specs()
    return ids


PURIFIER = "Mi Air Purifier 2 · PUR-1"
BULB = "Yeelight Color Bulb · BULB-1"


def build(page, *, javascript: bool) -> None:
    """Fill the editor: when the purifier's PM2.5 goes above 100, set the bulb's brightness to 80."""
    page.goto("/account/")
    page.get_by_role("link", name="Automations").first.click()
    page.get_by_role("link", name="New automation").click()
    page.get_by_label("Name").fill("Clean air light")
    page.get_by_label("Trigger").select_option(label=f"{PURIFIER}: PM2.5 density")
    page.get_by_label("Action").select_option(label=f"{BULB}: Brightness")
    if not javascript:
        page.get_by_role("button", name="Show the fields for my choices").click()
    page.get_by_label("Comparison").select_option(label="goes above")
    # Text inputs with the digit keypad, their range said below them: a number input in Chromium
    # drops the Devanagari digits a Hindi keyboard types, and the editor reads any script's digits.
    value = page.get_by_label("Value (μg/m3)")
    assert (value.get_attribute("type"), value.get_attribute("inputmode")) == ("text", "decimal")
    assert page.locator(f"#{value.get_attribute('aria-describedby')}").inner_text() == "From 0 to 1000."
    value.fill("१००")
    brightness = page.get_by_label("Set it to (%)")
    assert page.locator(f"#{brightness.get_attribute('aria-describedby')}").inner_text() == "From 1 to 100."
    brightness.fill("８０")


def test_an_owner_builds_an_automation_and_sees_it_run(open_page, shop, make_user, shot):
    owner = make_user("liwei")
    units = owned_units(owner, {"purifier": "PUR-1", "bulb": "BULB-1", "camera": "CAM-1"})
    try:
        page = open_page("mobile", language="en", javascript=False)
        sign_in(page, "liwei")
        build(page, javascript=False)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Automation “Clean air light” saved and on.")).to_be_visible()
        card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Clean air light"))
        expect(card.get_by_text(f"{PURIFIER}: PM2.5 density goes above 100 μg/m3")).to_be_visible()
        expect(card.get_by_text(f"{BULB}: Brightness → 80 %")).to_be_visible()
        expect(card.get_by_text("0 times")).to_be_visible()

        now = timezone.now()
        devices.report_state(units["purifier"], {"pm2.5-density": 40}, now)
        devices.report_state(units["purifier"], {"pm2.5-density": 150}, now + timezone.timedelta(seconds=5))
        (command,) = Command.objects.filter(device__device_id=units["bulb"])
        assert command.params["props"] == {"brightness": 80}
        page.reload()
        expect(card.get_by_text("1 time")).to_be_visible()

        # Turned off, it no longer runs; deleted, it is gone.
        page.get_by_role("button", name="Turn off Clean air light").click()
        expect(page.get_by_text("“Clean air light” is off.")).to_be_visible()
        devices.report_state(units["purifier"], {"pm2.5-density": 10}, now + timezone.timedelta(seconds=6))
        devices.report_state(units["purifier"], {"pm2.5-density": 200}, now + timezone.timedelta(seconds=7))
        assert Command.objects.filter(device__device_id=units["bulb"]).count() == 1

        # With JavaScript, htmx shows the typed fields as soon as a picker changes; an event trigger
        # (a face seen by the camera) needs no value; a bool is On/Off.
        page = open_page("desktop", language="en")
        sign_in(page, "liwei")
        page.goto("/devices/automations/new/")
        page.get_by_label("Name").fill("Face at the door")
        page.get_by_label("Trigger").select_option(label="Mi Home Security Camera 360 · CAM-1: Face detected")
        page.wait_for_load_state("networkidle")
        page.get_by_label("Action").select_option(label=f"{BULB}: Power")
        page.get_by_label("Set it to").select_option(label="On")
        expect(page.get_by_label("Value")).to_have_count(0)
        assert axe(page) == []
        shot(page, "automation-editor-desktop")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Face at the door")).to_be_visible()
        devices.record_event(
            units["camera"], "face-detected", {"face-count": 1, "face-score": 0.9}, timezone.now()
        )
        assert Command.objects.filter(device__device_id=units["bulb"]).count() == 2
        page.reload()
        assert axe(page) == []
        shot(page, "automations-desktop")
        page.get_by_role("button", name="Delete Clean air light").click()
        expect(page.get_by_role("heading", name="Clean air light")).to_have_count(0)

        page = open_page("mobile", language="hi")
        sign_in(page, "liwei")
        page.goto("/devices/automations/")
        assert axe(page) == []
        shot(page, "automations-hi-mobile")
        page.goto("/devices/automations/new/")
        shot(page, "automation-editor-hi-mobile")
    finally:
        devices.forget_specs()
