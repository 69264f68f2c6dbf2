"""Events the vision domain sends, so other domains subscribe instead of being called.

``face_detected`` fires on commit after a camera's snapshot in which at least one face was found,
with kwargs ``device_id: str``, ``snapshot_id: int``, ``event: str`` (the camera spec's event name,
``"face-detected"``), ``args: dict`` (``{"face-count": int, "face-score": float}``, the event's
arguments as the spec names them) and ``at: datetime``. These are exactly the arguments of the device
cloud's ``record_event(device_id, event, args, at)``, so driving automations from it is one line:

    face_detected.connect(lambda sender, **e: record_event(e["device_id"], e["event"], e["args"], e["at"]))
"""

from django.dispatch import Signal

face_detected = Signal()
