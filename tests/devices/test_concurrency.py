"""Races on PostgreSQL: command delivery workers never send the same attempt twice; a QR token binds once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import DomainError
from millet.devices import services as devices
from millet.devices.models import Command, Device, Rollout
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


def test_owners_updating_units_of_one_model_at_once_start_one_rollout(world, require_postgres):
    """One rollout per model at a time, so failure rates are not mixed and no unit gets two updates:
    the rule was an ``exists()`` check, so owners pressing "update" at once (and staff starting a
    fleet rollout meanwhile) each passed it and started their own. The model's firmware rows are
    locked first now; every other one is refused (``rollout_active``, or ``update_pending`` when
    the fleet's rollout won and already names the unit)."""
    issued = devices.provision_batch(
        model_urn=C300, serials=[f"OTA-{i}" for i in range(WORKERS)], batch="BO", actor=SYSTEM
    )
    devices.upload_firmware(
        SYSTEM, model_urn=C300, version="9.9.9", url="https://fw/9.bin", sha256="b" * 64, size=10
    )
    owners = [get_user_model().objects.create_user(f"owner{i}") for i in range(WORKERS)]
    for owner, unit in zip(owners, issued, strict=True):
        devices.record_sale(order_number=f"CN1-OTA{owner.pk}", customer_id=owner.pk, serials=[unit.serial])
        devices.set_presence(unit.device_id, True, timezone.now())
    firmware_id = devices.list_firmware(SYSTEM)[0].pk

    def update(i: int):
        if i == 0:
            return devices.start_rollout(SYSTEM, firmware_id, steps=[100])
        return devices.update_device(actor_for_user(owners[i]), issued[i].device_id)

    outcomes = race(WORKERS, update)
    started = [o for o in outcomes if not isinstance(o, DomainError)]
    assert len(started) == 1, outcomes
    refused = {o.code for o in outcomes if isinstance(o, DomainError)}
    assert refused and refused <= {"rollout_active", "update_pending"}  # the fleet's rollout won: pending
    assert Rollout.objects.count() == 1
