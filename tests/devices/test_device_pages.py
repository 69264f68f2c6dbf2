"""The owner's app without a browser: bought units that never connected are listed, the live stream
opens with the device's state and carries what is published after, and a stranger gets 404."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.accounts.services import create_user
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def plug_model():
    urn, title, spec = DEVICE_MODELS["plug"]
    catalog.create_device_model(urn, title, {"services": spec}, actor=SYSTEM)
    devices.forget_specs()
    yield urn
    devices.forget_specs()


def test_a_bought_unit_is_listed_before_it_ever_connects(plug_model):
    owner = create_user("ravi", password="a-long-test-passphrase")
    actor = actor_for_user(owner)
    online, boxed = devices.provision_batch(
        model_urn=plug_model, serials=["P-ON", "P-BOX"], batch="B", actor=SYSTEM
    )
    devices.record_sale(order_number="IN-1", customer_id=owner.pk, serials=["P-ON", "P-BOX", "P-FUTURE"])
    devices.set_presence(online.device_id, True, timezone.now())  # its first connection binds it
    assert [d.device_id for d in devices.list_devices(actor)] == [online.device_id]
    waiting = {u.serial: u for u in devices.units_to_set_up(actor)}
    assert set(waiting) == {"P-BOX", "P-FUTURE"}  # in its box; not even provisioned yet
    assert waiting["P-BOX"].model_urn == plug_model and waiting["P-FUTURE"].model_urn == ""
    assert (
        devices.units_to_set_up(actor_for_user(create_user("mei", password="a-long-test-passphrase"))) == []
    )


def test_the_stream_opens_with_the_state_then_carries_news_and_is_404_to_a_stranger(client, plug_model):
    owner = create_user("ravi", password="a-long-test-passphrase")
    create_user("mei", password="a-long-test-passphrase")
    (unit,) = devices.provision_batch(model_urn=plug_model, serials=["P-1"], batch="B", actor=SYSTEM)
    devices.record_sale(order_number="IN-1", customer_id=owner.pk, serials=["P-1"])
    devices.set_presence(unit.device_id, True, timezone.now())
    devices.report_state(unit.device_id, {"on": True}, timezone.now())

    client.force_login(owner)
    response = client.get(f"/devices/{unit.device_id}/events")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    chunks = iter(response.streaming_content)
    opening = next(chunks).decode()
    assert '"props": {"on": true}' in opening
    devices.publish_live([(unit.device_id, "command", {"id": "c1", "status": "acked"})])
    news = next(chunks).decode()
    assert news.startswith("event: command\n")
    assert json.loads(news.split("data: ", 1)[1])["data"] == {"id": "c1", "status": "acked"}
    response.close()
    assert devices.open_streams() == 0

    client.force_login(create_user("arjun", password="a-long-test-passphrase"))
    for path in ("", "events", "history/on.svg"):
        assert client.get(f"/devices/{unit.device_id}/{path}").status_code == 404


def test_a_read_only_member_sees_the_device_but_gets_no_controls(client, plug_model):
    owner = create_user("ravi", password="a-long-test-passphrase")
    member = create_user("mei", password="a-long-test-passphrase")
    (unit,) = devices.provision_batch(model_urn=plug_model, serials=["P-1"], batch="B", actor=SYSTEM)
    devices.record_sale(order_number="IN-1", customer_id=owner.pk, serials=["P-1"])
    devices.set_presence(unit.device_id, True, timezone.now())
    make_member(actor_for_user(owner), unit.device_id, "mei", "read")

    client.force_login(owner)
    assert 'role="switch"' in client.get(f"/devices/{unit.device_id}/").content.decode()
    client.force_login(member)
    page = client.get(f"/devices/{unit.device_id}/").content.decode()
    assert "only its owner can change it" in page
    assert 'role="switch"' not in page and 'name="action"' not in page
    answer = client.post(f"/devices/{unit.device_id}/set", {"prop": "on", "value": "true"})
    assert answer.status_code == 403
    assert devices.list_commands(actor_for_user(owner), unit.device_id) == []
