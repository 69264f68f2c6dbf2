"""Flash-sale fixtures: the gate in both modes (Redis, and the database alone) over the test world."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.flashsale import services
from millet.flashsale.services import gate


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


@pytest.fixture
def require_redis():
    """The Redis gate runs in the PostgreSQL pass (with REDIS_URL); under CI a missing Redis fails."""
    if not redis_url():
        if os.environ.get("CI"):
            pytest.fail("Redis is required under CI for the Redis gate (set REDIS_URL)")
        pytest.skip("needs Redis (REDIS_URL=redis://...)")


@pytest.fixture(params=["db", pytest.param("redis", marks=pytest.mark.postgres)])
def gate_mode(request, settings):
    """Each test runs against the database gate and the Redis gate (in the PostgreSQL+Redis pass)."""
    if request.param == "redis":
        request.getfixturevalue("require_redis")
        settings.REDIS_URL = redis_url()
    else:
        settings.REDIS_URL = ""
    gate.reset_client()
    codes: list[str] = []
    yield codes
    if request.param == "redis":
        for code in codes:
            gate.forget(code)
    gate.reset_client()


@pytest.fixture
def make_campaign(world, gate_mode):
    """A running campaign on CABLE-C (100 at WH-CN-SH); the code is unique so Redis keys never collide."""

    def make(units: int = 3, *, limit: int = 1, starts_in: float = -1, window: int = 900, **extra):
        extra = {"per_customer_limit": limit, "payment_window_seconds": window, **extra}
        code = f"t{uuid.uuid4().hex[:10]}"
        gate_mode.append(code)
        now = timezone.now()
        return services.create_campaign(
            SYSTEM,
            code=code,
            name="Singles Day cable",
            sku_code="CABLE-C",
            market="CN",
            location_code="WH-CN-SH",
            units=units,
            starts_at=now + timedelta(seconds=starts_in),
            ends_at=now + timedelta(seconds=max(starts_in, 0), hours=1),
            **{"price": Decimal("9.90"), **extra},
        )

    return make
