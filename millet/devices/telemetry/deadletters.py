"""Dead letters: what a device-cloud loop refused, set aside for a person, and counted by reason.

The ingestion worker, and the automation and rollout clocks, never stop or retry forever on a bad
record. They count it under a reason (``IngestCounter``, shown by ``GET /api/telemetry/ingest/stats``)
and keep an example (``DeadLetter``, in the admin): what came in, from where, and why it was refused.
Under a flood of bad messages the counters stay exact while at most ``PER_CALL`` examples per call are
written, and ``prune`` keeps the newest ``KEEP``.
"""

from __future__ import annotations

from dataclasses import dataclass

from millet.devices.telemetry import storage
from millet.devices.telemetry.models import DeadLetter

EXCERPT_BYTES = 1024
PER_CALL = 50
KEEP = 10_000


@dataclass(frozen=True)
class Letter:
    source: str  # "ingest", "automations", "rollouts"
    reason: str
    key: str  # the topic, or "automation:12"
    payload: bytes = b""
    detail: str = ""


def why(exc: BaseException) -> str:
    """The exception as a dead letter's detail: its type and message."""
    return f"{type(exc).__name__}: {exc}"[:300]


def excerpt(payload: bytes) -> str:
    """Storable text: the first bytes, undecodable ones escaped, NUL spelled out (PostgreSQL)."""
    return payload[:EXCERPT_BYTES].decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def _clean(text: str, limit: int) -> str:
    return text[:limit].encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def record(letters: list[Letter], counts: dict[str, int] | None = None) -> None:
    """In the caller's transaction: add ``counts`` (default: one per letter) to the counters and store
    the first ``PER_CALL`` letters."""
    if counts is None:
        counts = {}
        for letter in letters:
            counts[letter.reason] = counts.get(letter.reason, 0) + 1
    storage.bump_counters(counts)
    DeadLetter.objects.bulk_create(
        DeadLetter(
            source=letter.source,
            reason=_clean(letter.reason, 64),
            key=_clean(letter.key, 200),
            size=len(letter.payload),
            excerpt=excerpt(letter.payload),
            detail=_clean(letter.detail, 300),
        )
        for letter in letters[:PER_CALL]
    )


def prune(keep: int = KEEP) -> int:
    """Delete all but the newest ``keep`` dead letters; return how many went."""
    cut = list(DeadLetter.objects.order_by("-pk").values_list("pk", flat=True)[keep : keep + 1])
    return DeadLetter.objects.filter(pk__lte=cut[0]).delete()[0] if cut else 0


def record_failure(source: str, kind: str, key: str, exc: BaseException) -> None:
    """A record a clock set aside (``kind`` e.g. ``automation``), counted as ``<kind>_failed:<type>``."""
    record([Letter(source, f"{kind}_failed:{type(exc).__name__}", key, detail=why(exc))])
