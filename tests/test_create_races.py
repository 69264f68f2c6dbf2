"""Two creates of the same thing sent at once: the second is the 409 the check gives one at a time.

The first is held with its row written and its transaction open, so the second passes the
"exists?" check, then waits on the unique index and meets the committed twin: it was a 500
(``IntegrityError``) before the create caught it."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.core.errors import Conflict
from tests.concurrency import behind_open_transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def twins(create) -> tuple[object, object]:
    first, second = behind_open_transaction(create, create)
    assert not isinstance(first, Exception), first
    return first, second


def assert_conflict(answer: object, code: str) -> None:
    assert isinstance(answer, Conflict), repr(answer)
    assert answer.code == code


def test_a_protection_plan_created_twice_at_once_is_409_plan_exists(world, require_postgres):
    from millet.insurance import services
    from millet.insurance.models import ProtectionPlan
    from millet.insurance.services import PriceInput

    def create():
        return services.create_plan(
            SYSTEM,
            code="CARE-RACE",
            name="Care",
            sku_code="MI6-64",
            term_months=12,
            perils=["accidental_damage"],
            prices=[PriceInput("CN", "199.00", "2000.00", "99.00")],
        )

    _, second = twins(create)
    assert_conflict(second, "plan_exists")
    assert ProtectionPlan.objects.filter(code="CARE-RACE").count() == 1


def test_firmware_uploaded_twice_at_once_is_409_duplicate_firmware(world, require_postgres):
    from millet.devices import services
    from millet.devices.models import Firmware
    from tests.devices.conftest import C300

    def create():
        return services.upload_firmware(
            SYSTEM,
            model_urn=C300,
            version="9.9.9",
            url="https://fw.millet.local/c300/9.9.9.bin",
            sha256=hashlib.sha256(b"9.9.9").hexdigest(),
            size=1024,
        )

    _, second = twins(create)
    assert_conflict(second, "duplicate_firmware")
    assert Firmware.objects.filter(version="9.9.9").count() == 1


def test_a_device_model_created_twice_at_once_is_409_duplicate_urn(world, require_postgres):
    from millet.catalog import services
    from tests.catalog.conftest import PURIFIER_SPEC

    def create():
        return services.create_device_model(
            "urn:millet-spec:device:race:1", "Race", PURIFIER_SPEC, actor=SYSTEM
        )

    _, second = twins(create)
    assert_conflict(second, "duplicate_urn")


def test_a_product_created_twice_at_once_is_409_duplicate_product(world, require_postgres):
    from millet.catalog import services

    _, second = twins(lambda: services.create_product("race-phone", "Race", "phone", actor=SYSTEM))
    assert_conflict(second, "duplicate_product")


def test_a_sku_created_twice_at_once_is_409_duplicate_sku(world, require_postgres):
    from millet.catalog import services

    services.create_product("race-phone", "Race", "phone", actor=SYSTEM)
    _, second = twins(lambda: services.create_sku("RACE-1", "race-phone", "Race 1", actor=SYSTEM))
    assert_conflict(second, "duplicate_sku")


def test_a_campaign_created_twice_at_once_is_409_campaign_exists(world, require_postgres, settings):
    from millet.flashsale import services
    from millet.flashsale.models import Campaign
    from millet.flashsale.services import gate

    settings.REDIS_URL = ""  # the database gate: the race is in the rows
    gate.reset_client()
    now = timezone.now()

    def create():
        return services.create_campaign(
            SYSTEM,
            code="race-sale",
            name="Race",
            sku_code="CABLE-C",
            market="CN",
            location_code="WH-CN-SH",
            price=Decimal("9.90"),
            units=3,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            per_customer_limit=1,
            payment_window_seconds=900,
        )

    _, second = twins(create)
    assert_conflict(second, "campaign_exists")
    assert Campaign.objects.filter(code="race-sale").count() == 1
