"""The owner's camera page in a browser: a simulated camera's pictures with the faces boxed, at 360 px
and on a desktop, in English and Hindi; shared members see it, anyone else gets the 404 page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from millet.devices.mqtt.config import MAX_SNAPSHOT_BYTES
from millet.vision import services as vision
from millet.vision.fddb.synthetic import camera_frame
from tests.browser.conftest import axe, sign_in
from tests.factories import make_member


def door_camera(owner, shared_with) -> str:
    """The owner's C360 with three pictures from the simulated camera's frames, shared read-only."""
    urn, title, services = DEVICE_MODELS["camera"]
    catalog.create_device_model(urn, title, {"services": services}, actor=SYSTEM)
    devices.forget_specs()
    (unit,) = devices.provision_batch(actor=SYSTEM, model_urn=urn, serials=["CAM-BROWSER"], batch="B1")
    devices.record_sale(order_number="CN1-CAM", customer_id=owner.pk, serials=[unit.serial])
    devices.set_presence(unit.device_id, True, timezone.now())
    make_member(actor_for_user(owner), unit.device_id, shared_with.username, "read")
    start = timezone.now() - timedelta(minutes=30)
    for index in (1, 7, 5):  # the simulated camera's frames: the vision set's composites
        frame, _faces = camera_frame(unit.device_id, index, max_bytes=MAX_SNAPSHOT_BYTES)
        vision.record_snapshot(unit.device_id, frame, taken_at=start + timedelta(minutes=index))
    return unit.device_id


def test_the_owner_sees_the_pictures_with_the_faces_boxed(open_page, shop, make_user, shot):
    owner, member = make_user("liwei"), make_user("mei")
    make_user("stranger")
    device_id = door_camera(owner, member)
    try:
        boxes = sum(s.face_count for s in vision.list_snapshots(actor_for_user(owner), device_id))
        assert boxes >= 3
        for viewport, language in (("mobile", "en"), ("desktop", "en"), ("mobile", "hi")):
            page = open_page(viewport, language=language)
            sign_in(page, "liwei")
            page.goto("/account/")
            camera_link = "My cameras" if language == "en" else "मेरे कैमरे"
            page.get_by_role("link", name=camera_link).first.click()
            page.get_by_role("link", name="Mi Home Security Camera 360").click()
            expect(page.get_by_role("heading", name="Mi Home Security Camera 360")).to_be_visible()
            pictures = page.get_by_role("img", name="face" if language == "en" else "चेहर")
            expect(pictures).to_have_count(3)
            expect(page.locator("rect.snapshot__face")).to_have_count(boxes)
            assert all(img.evaluate("i => i.getBBox().width > 0") for img in pictures.all())
            page.wait_for_load_state("networkidle")
            assert axe(page) == []
            shot(page, f"camera-{language}-{viewport}")
        page = open_page("mobile", language="en")
        sign_in(page, "mei")
        page.goto(f"/cameras/{device_id}/")
        expect(page.locator("rect.snapshot__face")).to_have_count(boxes)
        page = open_page("mobile", language="en")
        sign_in(page, "stranger")
        response = page.goto(f"/cameras/{device_id}/")
        assert response.status == 404
        expect(page.locator("rect.snapshot__face")).to_have_count(0)
    finally:
        devices.forget_specs()
