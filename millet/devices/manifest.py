"""The factory manifest: one CSV row per provisioned unit, as a production line would flash it.

It holds plaintext secrets, so it is written with owner-only permissions; the simulator reads it to
play the devices. Columns: device_id, serial, model_code, secret, claim_token (read them by name).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from millet.devices.services import ProvisionedDevice

COLUMNS = ("device_id", "serial", "model_code", "secret", "claim_token")


def default_manifest_path() -> Path:
    return Path(settings.DATA_DIR) / "devices" / "manifest.csv"


def write_manifest(path: Path, rows: Iterable[ProvisionedDevice], *, append: bool = False) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not append or not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC), 0o600)
    written = 0
    with os.fdopen(fd, "w", newline="") as handle:
        writer = csv.writer(handle)
        if fresh:
            writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([row.device_id, row.serial, row.model_code, row.secret, row.claim_token])
            written += 1
    return written
