"""Races on PostgreSQL: command delivery workers never send the same attempt twice; a QR token binds once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import DomainError
from millet.devices import services as devices
from millet.devices.models import Command, Device
from millet.devices.services.commands import issue_command
from tests.concurrency import race
from tests.devices.conftest import C300

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WORKERS = 8
DEVICES = 20
COMMANDS_EACH = 5


def test_racing_delivery_workers_hand_out_each_command_once_and_a_claim_token_binds_once(
    world, require_postgres
):
    issued = devices.provision_batch(
        model_urn=C300, serials=[f"RACE-{i}" for i in range(DEVICES)], batch="BR", actor=SYSTEM
    )
    now = timezone.now()
    for p in issued:
        devices.set_presence(p.device_id, True, now)
        device = Device.objects.get(device_id=p.device_id)
        for _ in range(COMMANDS_EACH):
            issue_command(device, "action", {"action": "noop", "args": {}}, now=now)
    total = DEVICES * COMMANDS_EACH

    results = race(WORKERS, lambda i: [c.command_id for c in devices.commands_to_send(now, limit=30)])
    handed = Counter(cid for batch in results for cid in batch)
    assert sum(handed.values()) == total and set(handed.values()) == {1}
    assert Command.objects.filter(status="sent", attempts=1).count() == total

    # Many people scan the same box's QR code at once: exactly one of them owns the unit.
    unit = issued[0]
    devices.record_sale(order_number="CN1-RACE", customer_id=None, serials=[unit.serial])
    people = [get_user_model().objects.create_user(f"claimer{i}") for i in range(WORKERS)]
    outcomes = race(
        WORKERS, lambda i: devices.claim_device(actor_for_user(people[i]), unit.device_id, unit.claim_token)
    )
    winners = [o for o in outcomes if not isinstance(o, DomainError)]
    assert len(winners) == 1
    assert Device.objects.get(device_id=unit.device_id).owner_id == winners[0].owner_id
