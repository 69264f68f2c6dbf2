"""The ingestion decoder never raises: any bytes, any JSON, on any topic, give Accepted or a reason.

And what it accepts is storable: every accepted telemetry or event row goes into the real telemetry
table (PostgreSQL in the suite's second pass) without an error.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import MAX_PACKET_BYTES, MAX_SNAPSHOT_BYTES
from millet.devices.mqtt.decoder import MAX_DEPTH, REASONS, Accepted, Rejected, decode, deepest
from millet.devices.services import forget_specs, provision_batch
from millet.devices.telemetry import storage

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)
NOW_MS = int(NOW.timestamp() * 1000)
CHANNELS = st.sampled_from([*topics.UPLINK, *topics.DOWNLINK, "nope"])
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def vacuum(db):
    """A provisioned robot vacuum: ``status``, ``battery-level``, ``fan-level``; event ``stuck``."""
    name, title, services = DEVICE_MODELS["vacuum"]
    catalog.create_device_model(name, title, {"services": services}, actor=SYSTEM)
    forget_specs()
    (unit,) = provision_batch(actor=SYSTEM, model_urn=name, serials=["VAC-DECODER"], batch="T1")
    yield unit.device_id
    forget_specs()


def check(outcome) -> None:
    """The decoder's contract: an Accepted, or a Rejected with a known reason; accepted rows store."""
    assert isinstance(outcome, Accepted | Rejected), outcome
    event(outcome.reason if isinstance(outcome, Rejected) else f"accepted {outcome.channel}")
    if isinstance(outcome, Rejected):
        assert outcome.reason in REASONS or outcome.reason.startswith("out_of_spec:"), outcome
        assert outcome.reason != "decoder_error", outcome  # nothing unforeseen
        return
    if isinstance(outcome.value, storage.Row):
        row = outcome.value
        assert NOW - timedelta(days=30) <= row.ts <= NOW + timedelta(hours=1)
        with transaction.atomic():
            assert storage.insert_rows([row]) == [row]
            transaction.set_rollback(True)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
IN_WINDOW = st.integers(NOW_MS - 30 * 86_400_000, NOW_MS + 3_600_000)
TIMES = st.one_of(IN_WINDOW, IN_WINDOW, st.integers(), st.just(10**18), JSON)
KEYS = st.sampled_from(["status", "battery-level", "fan-level", "volume"])
VALUES = st.one_of(
    st.integers(-1, 101), st.integers(0, 4), st.integers(0, 4), st.floats(), st.booleans(), JSON
)
ENVELOPES = st.fixed_dictionaries(
    {
        "seq": st.one_of(st.integers(1, 2**63 - 1), st.integers(1, 2**63 - 1), st.integers(-2, 2**64), JSON),
        "ts": TIMES,
        "props": st.one_of(st.dictionaries(KEYS, VALUES, min_size=1, max_size=3), JSON),
    },
    optional={
        "event": st.one_of(st.just("stuck"), st.text(max_size=10), JSON),
        "args": st.one_of(st.dictionaries(KEYS, VALUES, max_size=2), JSON),
        "command": st.one_of(st.text(max_size=10), JSON),
        "status": st.one_of(st.sampled_from(["ok", "error", "progress"]), JSON),
        "result": JSON,
    },
)


@SETTINGS
@given(payload=st.binary(max_size=4096), channel=CHANNELS)
def test_any_bytes_are_accepted_or_refused_with_a_reason(vacuum, payload, channel):
    check(decode(topics.topic(vacuum, channel), payload, NOW))


@SETTINGS
@given(value=JSON, channel=CHANNELS, allow_nan=st.booleans())
def test_any_json_is_accepted_or_refused_with_a_reason(vacuum, value, channel, allow_nan):
    try:
        payload = json.dumps(value, allow_nan=allow_nan).encode()
    except ValueError:  # NaN refused by json.dumps itself
        return
    check(decode(topics.topic(vacuum, channel), payload, NOW))


@SETTINGS
@given(message=ENVELOPES, channel=st.sampled_from(topics.UPLINK))
def test_any_envelope_is_accepted_or_refused_with_a_reason(vacuum, message, channel):
    check(decode(topics.topic(vacuum, channel), json.dumps(message).encode(), NOW))


@SETTINGS
@given(seq=st.integers(1, 2**63 - 1), ts=IN_WINDOW, values=st.dictionaries(KEYS, VALUES, max_size=3))
def test_any_reading_is_accepted_or_refused_and_what_is_accepted_stores(vacuum, seq, ts, values):
    """Well-formed envelopes with arbitrary values: the spec decides, and accepted rows store."""
    for channel, body in (("telemetry", {"props": values}), ("events", {"event": "stuck", "args": values})):
        check(decode(topics.topic(vacuum, channel), json.dumps({"seq": seq, "ts": ts, **body}).encode(), NOW))


@SETTINGS
@given(topic=st.text(max_size=80), payload=st.binary(max_size=64))
def test_any_topic_is_accepted_or_refused_with_a_reason(vacuum, topic, payload):
    check(decode(topic, payload, NOW))


def envelope(props: str, ts: int = NOW_MS, seq: str = "1") -> str:
    """A telemetry message with ``props`` spelled as raw JSON text."""
    return f'{{"seq": {seq}, "ts": {ts}, "props": {props}}}'


def reason(vacuum: str, payload: bytes | str, channel: str = "telemetry") -> str:
    outcome = decode(
        topics.topic(vacuum, channel), payload.encode() if isinstance(payload, str) else payload, NOW
    )
    assert isinstance(outcome, Rejected), outcome
    return outcome.reason


def test_the_issues_inputs_and_their_kind_are_refused_by_reason(vacuum):
    # A device time far outside the window is refused as a number, never turned into a date.
    assert (
        reason(vacuum, '{"seq": 5, "ts": 1000000000000000000, "props": {"status": 1}}') == "ts_out_of_range"
    )
    assert (
        reason(vacuum, '{"seq": 5, "ts": -1000000000000000000, "props": {"status": 1}}') == "ts_out_of_range"
    )
    assert reason(vacuum, f'{{"seq": 5, "ts": {NOW_MS - 31 * 86_400_000}, "props": {{"status": 1}}}}') == (
        "ts_out_of_range"
    )
    assert (
        reason(vacuum, f'{{"seq": 5, "ts": {2**80}, "props": {{"status": 1}}}}') == "invalid_ts"
    )  # a double
    assert reason(vacuum, '{"seq": 5, "ts": 1.7e12, "props": {"status": 1}}') == "invalid_ts"
    assert reason(vacuum, '{"seq": 5, "ts": true, "props": {"status": 1}}') == "invalid_ts"
    # Nesting: the issue's 100,000-deep payload (200 KB) is over the size limit before anything else;
    # 60,000 deep fits the limit and never reaches the parser; past MAX_DEPTH is refused the same way.
    assert reason(vacuum, b"[" * 100_000 + b"]" * 100_000) == "too_large"
    assert reason(vacuum, b"[" * 60_000 + b"]" * 60_000) == "too_deep"
    assert reason(vacuum, b"{" * 100_000) == "too_deep"
    assert reason(vacuum, envelope('{"status": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}")) == "too_deep"
    assert deepest(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[", "b": [1]}') == 2  # brackets in strings do not count
    # Size: the broker's limit again, for a broker configured without it.
    assert reason(vacuum, b" " * (MAX_PACKET_BYTES + 1)) == "too_large"
    assert reason(vacuum, b"x" * (20 * 1024 * 1024)) == "too_large"
    # Values no database stores: NUL, NaN and infinities, lone surrogates, integers past 64 bits.
    assert reason(vacuum, envelope('{"battery-level": "\\u0000"}')) == "invalid_value"
    assert reason(vacuum, envelope('{"\\u0000": 1}')) == "invalid_value"
    assert reason(vacuum, envelope('{"battery-level": NaN}')) == "malformed_json"
    assert reason(vacuum, envelope('{"battery-level": 1e999}')) == "malformed_json"
    assert reason(vacuum, envelope('{"battery-level": "\\ud800"}')) == "malformed_json"
    assert reason(vacuum, envelope(f'{{"battery-level": {2**63}}}')) == "invalid_value"
    assert reason(vacuum, b"\xff\xfe") == "malformed_json"
    # Types and shapes.
    assert reason(vacuum, "[1, 2]") == "malformed_json"
    assert reason(vacuum, envelope('{"battery-level": true}')) == "out_of_spec:invalid_property_value"
    assert reason(vacuum, envelope('{"volume": 3}')) == "out_of_spec:unknown_property"
    assert reason(vacuum, envelope('{"status": 1}', seq="0")) == "invalid_seq"
    assert reason(vacuum, envelope('{"status": 1}', seq='"1"')) == "invalid_seq"
    assert reason(vacuum, "sleepy", "status") == "invalid_status"
    assert reason(vacuum, '{"command": 5, "status": "ok"}', "acks") == "invalid_ack"
    assert (
        reason(vacuum, f'{{"seq": 1, "ts": {NOW_MS}, "event": "x", "args": []}}', "events") == "invalid_args"
    )
    assert decode("millet/v1/d/../telemetry", b"{}", NOW) == Rejected("bad_topic")
    accepted = decode(topics.topic(vacuum, "telemetry"), envelope('{"battery-level": 55}').encode(), NOW)
    assert isinstance(accepted, Accepted) and accepted.value.body == {"battery-level": 55}


def test_a_snapshot_is_a_picture_within_the_packet_limit(vacuum):
    """The decoder checks only size and signature; the picture itself is the receiver's to decode."""
    snapshot = topics.topic(vacuum, "snapshot")
    for payload in (b"\xff\xd8\xff\xe0" + b"\0" * 100, b"\x89PNG\r\n\x1a\n" + b"\0" * 100):
        assert decode(snapshot, payload, NOW) == Accepted("snapshot", vacuum, payload)
    assert decode(snapshot, b"GIF89a", NOW).reason == "not_an_image"
    assert decode(snapshot, b"", NOW).reason == "not_an_image"
    fits = b"\xff\xd8\xff" + b"\0" * (MAX_SNAPSHOT_BYTES - 3)
    assert isinstance(decode(snapshot, fits, NOW), Accepted)
    assert decode(snapshot, fits + b"\0", NOW).reason == "too_large"
    # The biggest snapshot still fits in one packet on the longest topic a device can have.
    longest = 1 + 2 + len(topics.topic("d" * 64, "snapshot")) + 2 + MAX_SNAPSHOT_BYTES
    assert longest <= MAX_PACKET_BYTES
