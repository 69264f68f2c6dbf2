"""The device cloud's rollup series beyond the company's totals: devices online per model and per
firmware, and units sold and failed per production batch. Each function answers the rows a series
should hold, from the other domains' services; ``services.rollups`` writes them (the snapshot in
``snapshot_devices``, the batches in ``catch_up`` and ``rebuild``).

- ``devices_connected`` in ``company``, ``model:{URN}`` and ``firmware:{URN}@{VERSION}``: one
  snapshot of the devices online now (``devices.online_by_model_and_firmware``). A firmware
  version is named with its model, because each model's firmware counts its own versions.
- ``batch_units_sold`` / ``batch_units_failed`` in ``company`` and ``batch:{BATCH}``: connected units
  sold per production batch and UTC day of sale, and how many of them have failed since
  (``devices.batch_sales``). A unit has failed when it was received back on a return request for
  a defect (``sales.defective_returned_serials``) or a breakdown claim on it was accepted
  (``insurance.breakdown_claim_serials``); it counts once whichever happened, and on the day it was
  sold, so ``batch_failure_rate`` over a period is the share of that period's units that failed.
  A unit that fails later changes a past day, so the job recounts both series whole each time
  (one grouped query over the units sold, and the failed serials, which are few).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.devices import services as devices
from millet.insights.metrics import BATCH, COMPANY, FIRMWARE, MODEL, parse_scope, scope_key
from millet.insurance import services as insurance
from millet.sales import services as sales

CONNECTED, SOLD, FAILED = "devices_connected", "batch_units_sold", "batch_units_failed"
Rows = dict[tuple[str, str, date, str], int]  # (series, scope, day, currency) -> amount


def connected_snapshot(day: date) -> Rows:
    """``devices_connected`` on ``day`` in every scope: the company's online devices, and each
    model's and each model's firmware's (0 for a pair whose enabled units are all offline)."""
    rows: Rows = defaultdict(int)
    rows[(CONNECTED, scope_key(COMPANY), day, "")] = 0
    for pair in devices.online_by_model_and_firmware(SYSTEM):
        firmware = f"{pair.model_urn}@{pair.firmware_version}"
        for scope in (scope_key(COMPANY), scope_key(MODEL, pair.model_urn), scope_key(FIRMWARE, firmware)):
            rows[(CONNECTED, scope, day, "")] += pair.online
    return dict(rows)


def batch_rows() -> dict[str, Rows]:
    """``batch_units_sold`` and ``batch_units_failed`` as they should be now, series -> rows."""
    failed = sales.defective_returned_serials(SYSTEM) | insurance.breakdown_claim_serials(SYSTEM)
    series: dict[str, Rows] = {SOLD: defaultdict(int), FAILED: defaultdict(int)}
    for row in devices.batch_sales(SYSTEM, failed=failed):
        for scope in (scope_key(COMPANY), scope_key(BATCH, row.batch)):
            series[SOLD][(SOLD, scope, row.day, "")] += row.sold
            if row.failed:
                series[FAILED][(FAILED, scope, row.day, "")] += row.failed
    return {name: dict(rows) for name, rows in series.items()}


def device_scope_names(scopes: Iterable[str]) -> dict[str, str]:
    """How the page names device scopes, in its language: a model by its product's name, a firmware
    as that name and the version; a batch is its code. Other scopes are left out (the catalog's
    two queries, when a model or a firmware is named)."""
    parsed = {scope: parse_scope(scope) for scope in scopes}
    urns = {
        value.rpartition("@")[0] if kind == FIRMWARE else value
        for kind, value in parsed.values()
        if kind in (MODEL, FIRMWARE)
    }
    faces = catalog.product_faces(urns) if urns else {}
    names = {}
    for scope, (kind, value) in parsed.items():
        if kind == MODEL:
            names[scope] = faces[value].name if value in faces else value
        elif kind == FIRMWARE:
            urn, _at, version = value.rpartition("@")
            model = faces[urn].name if urn in faces else urn
            names[scope] = _("%(model)s, firmware %(version)s") % {"model": model, "version": version}
        elif kind == BATCH:
            names[scope] = value
    return names
