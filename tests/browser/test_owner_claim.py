"""Adding a device by its QR code in a browser: the camera reads it (a stand-in BarcodeDetector and
camera, as headless Chromium has neither), the unit becomes the person's, and its firmware page lets
the owner start the update that is available and follow its progress."""

from __future__ import annotations

import hashlib
import json

from django.utils import timezone
from playwright.sync_api import expect

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from tests.browser.conftest import axe, sign_in

FAKE_SCANNER = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return [{ rawValue: %s }]; }
};
if (!navigator.mediaDevices) Object.defineProperty(navigator, "mediaDevices", { value: {} });
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream();
};
"""


def test_scan_the_box_then_update_the_firmware(open_page, shop, make_user, shot):
    make_user("liwei")
    urn, title, services = DEVICE_MODELS["bulb"]
    catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
    (unit,) = devices.provision_batch(actor=SYSTEM, model_urn=urn, serials=["BULB-9"], batch="B1")
    devices.record_sale(order_number="CN1-BULB", customer_id=None, serials=["BULB-9"])  # a gift
    try:
        page = open_page("mobile", language="en")
        page.context.add_init_script(FAKE_SCANNER % json.dumps(f"MILLET:{unit.device_id}:{unit.claim_token}"))
        sign_in(page, "liwei")
        page.goto("/account/")
        page.get_by_role("link", name="Add a device").first.click()
        assert axe(page) == []
        page.get_by_role("button", name="Scan with the camera").click()
        expect(page.get_by_text("Code read. Check it and add the device.")).to_be_visible()
        assert (
            page.get_by_role("textbox", name="Code").input_value()
            == f"MILLET:{unit.device_id}:{unit.claim_token}"
        )
        shot(page, "claim-scanned-mobile")
        page.get_by_role("button", name="Add the device").click()
        expect(page.get_by_text("Yeelight Color Bulb · BULB-9 is yours now.")).to_be_visible()

        # The same code again (now used): its owner is told the device is theirs already...
        page.get_by_role("textbox", name="Code").fill(f"MILLET:{unit.device_id}:{unit.claim_token}")
        page.get_by_role("button", name="Add the device").click()
        expect(page.get_by_text("Yeelight Color Bulb · BULB-9 is already yours.")).to_be_visible()
        assert axe(page) == []
        shot(page, "claim-again-mobile")
        # ...and a code that adds nothing gets the one refusal every bad code gets.
        page.get_by_role("textbox", name="Code").fill("MILLET:d0000000000000000000:not-a-real-token")
        page.get_by_role("button", name="Add the device").click()
        expect(
            page.get_by_role("alert").get_by_text("This code does not add a device to your account.")
        ).to_be_visible()

        for version in ("1.0.0", "1.1.0"):
            devices.upload_firmware(
                SYSTEM,
                model_urn=urn,
                version=version,
                url=f"https://fw.millet.local/bulb/{version}.bin",
                sha256=hashlib.sha256(version.encode()).hexdigest(),
                size=2048,
                notes="Smoother dimming." if version == "1.1.0" else "",
            )
        page.goto("/devices/updates/")
        page.get_by_role("button", name="Install 1.1.0").click()
        expect(page.get_by_text("Update to 1.1.0 started")).to_be_visible()
        devices.set_presence(unit.device_id, True, timezone.now())
        now = timezone.now()
        devices.advance_rollouts(now)
        (out,) = devices.commands_to_send(now)
        devices.acknowledge_command(
            unit.device_id, json.loads(out.payload)["id"], "progress", {"progress": 40}
        )
        page.reload()
        expect(page.get_by_text("1.1.0: installing")).to_be_visible()
        assert page.get_by_role("progressbar", name="Progress").get_attribute("value") == "40"
        assert axe(page) == []
        shot(page, "updates-installing-mobile")
        devices.acknowledge_command(unit.device_id, json.loads(out.payload)["id"], "ok", {})
        page.reload()
        expect(page.get_by_text("Up to date")).to_be_visible()
        expect(page.get_by_text("Firmware 1.1.0 is installed on BULB-9.")).to_be_visible()
        shot(page, "updates-done-mobile")
    finally:
        devices.forget_specs()
