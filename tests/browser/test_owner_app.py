"""The device owner's app (/devices/) in a browser, over the real device path: an embedded MQTT broker,
the ingestion worker and a simulated Mi Smart Plug, each in its own thread. The owner sees every unit
they bought (the one still in its box as "not yet set up"), switches the plug, and sees the plug's
own report of the new state arrive on the open page, pushed by its event stream; another owner gets
404 for the page, its stream and its charts.

The answer to the press (which brings the command's row) is held until the plug has acknowledged, as
on a slow network with a quick device: the page must still show the acknowledgement it heard first."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.catalog import services as catalog
from millet.devices import services as devices
from millet.devices.mqtt.simulator import Credentials, Simulator
from tests.browser.conftest import axe, sign_in
from tests.devices.mqtt_fixtures import (  # noqa: F401
    PLUG,
    Running,
    embedded_fixture,
    plugs_fixture,
    wait_until,
    worker_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_switches_a_plug_and_sees_it_live(open_page, shop, make_user, shot, embedded, plugs):
    owner, _other = make_user("liwei"), make_user("arjun")
    catalog.create_product("mi-smart-plug", "Mi Smart Plug", "home", device_model_urn=PLUG, actor=SYSTEM)
    online, boxed = plugs(2)
    devices.record_sale(order_number="CN1-PLUGS", customer_id=owner.pk, serials=[online.serial, boxed.serial])
    worker = worker_for(embedded).start()
    simulator = Simulator(
        [Credentials(online.device_id, online.secret)], embedded.host, embedded.port, interval=3600
    )
    running = Running(lambda: simulator).start()
    try:
        # The first connection binds the plug to its buyer; the boxed one has never connected.
        owned = lambda: [d.device_id for d in devices.list_devices(actor_for_user(owner))]  # noqa: E731
        wait_until(lambda: owned() == [online.device_id], timeout=90, what="the plug to bind")

        page = open_page("mobile", language="en")
        page.context.set_default_timeout(30_000)  # a broker, a worker and a simulator share the machine
        sign_in(page, "liwei")
        page.goto("/account/")
        page.get_by_role("link", name="My devices").first.click()
        expect(page.get_by_role("heading", name="My devices", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Mi Smart Plug")).to_have_count(1)
        waiting = page.get_by_role("region", name="Not yet set up")
        expect(waiting.get_by_text(boxed.serial)).to_be_visible()
        expect(waiting.get_by_role("listitem").filter(has_text="Wi-Fi").first).to_be_visible()
        assert axe(page) == []
        shot(page, "owner-devices-mobile")

        page.get_by_role("link", name="Mi Smart Plug").click()
        switch = page.get_by_role("switch", name="Power")
        expect(switch).to_be_visible()
        was_on = switch.get_attribute("aria-checked") == "true"

        def after_the_ack(route):
            answer = route.fetch()
            latest = lambda: devices.list_commands(actor_for_user(owner), online.device_id)[0]  # noqa: E731
            wait_until(lambda: latest().status == "acked", timeout=30, what="the plug to acknowledge")
            time.sleep(1)  # the acknowledgement's live news reaches the page before its row does
            route.fulfill(response=answer)

        page.route("**/set", after_the_ack)
        switch.click()
        # The plug's own report (not the request) moves the switch: the stream pushed it.
        expect(switch).to_have_attribute("aria-checked", "false" if was_on else "true", timeout=15_000)
        commands = page.get_by_role("region", name="Recent commands")
        expect(commands.get_by_text("Acknowledged")).to_be_visible(timeout=15_000)
        expect(page.get_by_role("img", name="Power draw over the last day")).to_be_visible()
        assert axe(page) == []
        shot(page, "owner-device-mobile")

        desktop = open_page("desktop", language="de")
        desktop.context.set_default_timeout(30_000)
        sign_in(desktop, "liwei")
        desktop.goto(f"/devices/{online.device_id}/")
        assert axe(desktop) == []
        shot(desktop, "owner-device-de-desktop")

        stranger = open_page("mobile", language="en")
        stranger.context.set_default_timeout(30_000)
        sign_in(stranger, "arjun")
        for path in ("", "events", "history/power.svg"):
            response = stranger.goto(f"/devices/{online.device_id}/{path}")
            assert response.status == 404, path
        stranger.goto("/devices/")
        expect(stranger.get_by_text(boxed.serial)).to_have_count(0)
    finally:
        running.stop()
        worker.stop()
