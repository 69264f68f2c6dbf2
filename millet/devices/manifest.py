"""The factory manifest: one CSV row per provisioned unit, as a production line would flash it.

It holds plaintext secrets, so it is written with owner-only permissions; the simulator reads it to
play the devices. Columns: device_id, serial, model_urn, secret, claim_token (read them by name).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from millet.core.private_files import open_private
from millet.devices.services import ProvisionedDevice

COLUMNS = ("device_id", "serial", "model_urn", "secret", "claim_token")


def default_manifest_path() -> Path:
    return Path(settings.DATA_DIR) / "devices" / "manifest.csv"


def write_manifest(path: Path, rows: Iterable[ProvisionedDevice], *, append: bool = False) -> int:
    fresh = not append or not path.exists()
    written = 0
    with open_private(path, append=append, newline="") as handle:
        writer = csv.writer(handle)
        if fresh:
            writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([row.device_id, row.serial, row.model_urn, row.secret, row.claim_token])
            written += 1
    return written
