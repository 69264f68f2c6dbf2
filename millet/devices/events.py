"""Signals the device cloud sends: to the broker side (``mqtt``) so it never polls, to telemetry, and
between its own services, so two services that react to each other never import each other.

``device_credentials_changed`` fires on transaction commit with kwargs ``device_id: str``,
``secret: str | None`` (the plaintext, only when a new secret was issued) and ``enabled: bool``; the
broker sync creates, enables or disables the client and disconnects a revoked one at once.
``snapshot_received`` is sent (not on commit: inside the caller's transaction) with kwargs
``device_id: str``, ``image: bytes`` (a JPEG or PNG as the camera sent it) and ``at: datetime`` when a
camera uploads a picture over MQTT or HTTP; the vision domain keeps it and detects faces. A receiver
refuses a picture by raising a ``DomainError`` (not a camera, corrupt, too many pixels), which reaches
the uploader: the ingestion worker counts it, the HTTP route answers it as a 4xx.
``camera_frame_wanted`` is sent by the simulator with ``device_id: str``, ``index: int`` and ``max_bytes``; a
receiver returns a JPEG of at most ``max_bytes`` for the simulated camera to upload.
``device_data_wiped`` fires with ``device_id`` when an owner's data for a device must go (unbinding on
return or resale); telemetry history is deleted through ``telemetry.services.delete_history``.
"""

from django.dispatch import Signal

device_credentials_changed = Signal()
device_data_wiped = Signal()
snapshot_received = Signal()
camera_frame_wanted = Signal()

# Devices reported state (-> automations): once per shadow round (or one report), after its
# transaction; kwarg ``reports``, a list of ``services.reported.PropertyReport`` (the device, the
# properties whose value changed and what they held before, the newest device time). One call per
# round, not per device, as commands_answered: a round is hundreds of devices, and a receiver looks
# up what it acts on for all of them at once. A receiver returns ``{device_id: exception}`` for the
# devices whose handling failed (the caller counts or retries each), or None.
properties_reported = Signal()
# A device reported an event (-> automations); kwargs: ``device`` (Device), ``at`` (datetime),
# ``event`` (str) and ``args`` (dict).
event_reported = Signal()
# Devices answered commands (commands -> OTA rollouts): once per acknowledged batch, inside its
# transaction with the commands locked; kwarg ``answers``, every applied answer in the batch's order
# (``services.commands.AnsweredCommand``: the command's pk, id, device id, kind and params, and the
# answer's status, "ok", "error" or "progress", and result). One call per batch, not per answer:
# a batch is hundreds of answers, and a receiver picks the few it acts on.
commands_answered = Signal()
# Commands closed without an answer (expired or out of attempts); kwargs: ``command_ids``, ``reason``.
commands_closed = Signal()
# New identities were provisioned (identity -> ownership, which binds units already sold);
# kwargs: ``serials``. Sent inside the provisioning transaction.
units_provisioned = Signal()
