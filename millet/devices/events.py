"""Signals the device cloud sends, so the broker side (helper B's ``mqtt`` package) never polls.

``device_credentials_changed`` fires on transaction commit with kwargs ``device_id: str``,
``secret: str | None`` (the plaintext, only when a new secret was issued) and ``enabled: bool``; the
broker sync creates, enables or disables the client and disconnects a revoked one at once.
``device_data_wiped`` fires with ``device_id`` when an owner's data for a device must go (unbinding on
return or resale); telemetry history is deleted through ``telemetry.services.delete_history``.
"""

from django.dispatch import Signal

device_credentials_changed = Signal()
device_data_wiped = Signal()
