"""Every file Millet writes that holds a secret is mode 0600 (issue 8, fault 11).

Two tests: one runs every writer of secrets into a fresh data directory (a real Mosquitto included,
which rewrites its dynamic-security file itself) and then scans every file there for the secrets it
knows, asserting each file holding one is 0600; the other lists every place in Millet's code that
writes a file, so a new writer is either known to hold no secret or goes through
``millet.core.private_files``.
"""

from __future__ import annotations

import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from millet.core.private_files import open_private, write_private
from tests.devices.mqtt_fixtures import require_mosquitto

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_holding(folder: Path, secrets: list[str]) -> dict[Path, int]:
    """Every file under ``folder`` whose bytes contain one of ``secrets``, with its mode."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(s.encode() in data for s in secrets):
                found[path.relative_to(folder)] = mode(path)
    return found


@pytest.mark.django_db
def test_every_file_written_with_a_secret_is_0600(tmp_path, settings, monkeypatch):
    from millet.devices.manifest import write_manifest
    from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, service_credentials
    from millet.devices.mqtt.mosquitto import PrivateMosquitto, preload_devices
    from millet.devices.services import ProvisionedDevice

    data = tmp_path / "data"
    monkeypatch.setattr(settings, "DATA_DIR", data)
    # A fresh process makes the secret key and the SQLite file of a new install.
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'millet.sqlite3'}",
    }
    show_key = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    started = subprocess.run(
        [sys.executable, "-c", show_key], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, started.stderr
    secret_key = started.stdout.strip().splitlines()[-1]
    services = service_credentials()
    device = ProvisionedDevice("dev-0001", "SN0001", "urn:x", "device-secret-0001", "claim-token-0001")
    write_manifest(data / "devices" / "manifest.csv", [device])
    write_manifest(data / "devices" / "manifest.csv", [device], append=True)

    require_mosquitto()
    broker = PrivateMosquitto(data / "mosquitto", admin_password=services[ADMIN_USER])
    preload_devices(broker.directory, [("dev-offline", "offline-secret-0001")])
    broker.start()
    try:
        dynsec = broker.directory / "dynamic-security.json"
        before = dynsec.stat().st_mtime_ns
        admin = broker.admin()
        try:
            admin.ensure_service(services[INGEST_USER])  # Mosquitto saves the file itself
        finally:
            admin.close()
        deadline = time.monotonic() + 10
        while dynsec.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dynsec.stat().st_mtime_ns != before, "Mosquitto did not save its dynamic-security file"
    finally:
        broker.stop()

    # Password hashes are secrets too: the dynsec file holds them, under the clients' names.
    known = [secret_key, *services.values(), device.secret, device.claim_token, "dev-offline", "pbkdf2"]
    holding = files_holding(data, known)
    expected = {
        Path("secret_key"),
        Path("mqtt/services.json"),
        Path("devices/manifest.csv"),
        Path("mosquitto/dynamic-security.json"),
    }
    assert expected <= set(holding), holding
    assert {path: m for path, m in holding.items() if m != 0o600} == {}
    assert mode(data / "millet.sqlite3") == 0o600  # password hashes once users exist
    assert mode(broker.directory / "mosquitto.conf") == 0o600
    assert mode(data / "mqtt") == 0o700 and mode(data / "devices") == 0o700


def test_a_secret_file_that_exists_with_a_wider_mode_is_narrowed(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("x")
    path.chmod(0o644)
    with open_private(path, append=True) as handle:
        handle.write("secret")
    assert mode(path) == 0o600
    other = tmp_path / "replaced.json"
    other.write_text("{}")
    other.chmod(0o666)
    write_private(other, "{}")
    assert mode(other) == 0o600


# Every place in millet/ that writes a file, and why it may be world-readable; anything holding a
# secret goes through millet.core.private_files instead (which this scan does not list).
WRITES_WITHOUT_SECRETS = {
    "millet/lending/credit/scorecard.py": "credit model artifact: published coefficients and bins, no secret",
    "millet/finance/management/commands/export_ledger.py": "ledger CSV the operator asked for, at their path",
    "millet/devices/management/commands/devicecloud.py": "the quick start's process log, no secret",
    "millet/vision/fddb/run.py": "a detector's FDDB detections for a public image set",
    "millet/vision/fddb/synthetic.py": "a synthetic FDDB image set built from package images",
    "millet/vision/fddb/report.py": "ROC files and plot of an FDDB evaluation",
}
WRITE = re.compile(
    r"\.write_text\(|\.write_bytes\(|\bopen\([^)]*[\"'][wax]b?[\"']|\.open\([\"'][wax]|os\.open\("
)


def test_every_file_millet_writes_is_known_to_hold_no_secret_or_is_private():
    writers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "millet").rglob("*.py")
        if path.name != "private_files.py" and WRITE.search(path.read_text())
    }
    assert writers == set(WRITES_WITHOUT_SECRETS), (
        "a new file writer: if it holds a secret use millet.core.private_files, "
        "else add it to WRITES_WITHOUT_SECRETS with the reason"
    )


def test_mail_written_to_files_is_private(tmp_path):
    """The quick start's mail (sign-up and password-reset links) is readable by Millet's user only."""
    from django.core.mail import EmailMessage

    from millet.core.mail import PrivateFileEmailBackend

    backend = PrivateFileEmailBackend(file_path=str(tmp_path / "mail"))
    message = EmailMessage("Reset", "https://millet.example/reset/key", "a@millet.local", ["b@example.com"])
    assert backend.send_messages([message]) == 1
    [written] = (tmp_path / "mail").iterdir()
    assert (tmp_path / "mail").stat().st_mode & 0o777 == 0o700
    assert written.stat().st_mode & 0o777 == 0o600
    assert "reset/key" in written.read_text()
