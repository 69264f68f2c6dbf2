"""Live news is built only for devices someone is watching (``services.live``): readings of the rest
of the fleet cost the ingestion worker nothing, and a page opened at any moment still hears every
reading committed after it opened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from millet.core import redis_client
from millet.devices.services import live
from millet.devices.telemetry.storage import Row

pytestmark = pytest.mark.django_db


def _reading(device_id: str, seq: int) -> Row:
    at = datetime(2026, 12, 1, 8, 0, seq, tzinfo=UTC)
    return Row(device_id=device_id, kind="t", seq=seq, ts=at, received_at=at, body={"temp": 20 + seq})


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """Every message handed to the transport (Redis pub/sub, or the in-process fan-out)."""
    handed: list[dict] = []
    transport = live._send

    def spy(messages: list[dict]) -> None:
        handed.extend(messages)
        transport(messages)

    monkeypatch.setattr(live, "_send", spy)
    return handed


def _publish(django_capture_on_commit_callbacks, rows: list[Row]) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        live.publish_readings(rows)


def test_only_watched_devices_readings_are_built_and_they_reach_the_page(
    sent, django_capture_on_commit_callbacks
):
    feed = live.Subscription("dev-watched")
    try:
        _publish(
            django_capture_on_commit_callbacks, [_reading("dev-watched", 1), _reading("dev-unwatched", 2)]
        )
        assert [m["device"] for m in sent] == ["dev-watched"]
        message = feed.get(timeout=5)
        assert message is not None and message["data"]["props"] == {"temp": 21}
        assert message["data"]["ts"] == int(datetime(2026, 12, 1, 8, 0, 1, tzinfo=UTC).timestamp() * 1000)
    finally:
        feed.close()


def test_a_page_opened_after_the_publishers_last_look_hears_the_next_reading(
    require_shared_cache, sent, django_capture_on_commit_callbacks
):
    _publish(django_capture_on_commit_callbacks, [_reading("dev-late", 1)])  # nobody watches yet
    assert sent == []
    feed = live.Subscription("dev-late")
    try:
        _publish(django_capture_on_commit_callbacks, [_reading("dev-late", 2)])
        message = feed.get(timeout=5)
        assert message is not None and message["data"]["props"] == {"temp": 22}
    finally:
        feed.close()


def test_a_redis_that_lost_its_data_does_not_hide_a_new_page(
    require_shared_cache, sent, django_capture_on_commit_callbacks
):
    first = live.Subscription("dev-a")
    first.close()
    _publish(django_capture_on_commit_callbacks, [_reading("dev-a", 1)])  # the publisher knows the set
    redis_client.shared().delete(live.watched_key(), live.version_key())  # as a restart without AOF
    feed = live.Subscription("dev-b")
    try:
        _publish(django_capture_on_commit_callbacks, [_reading("dev-b", 2)])
        assert feed.get(timeout=5) is not None
    finally:
        feed.close()


def test_while_redis_is_out_no_news_is_built_and_the_work_goes_on(
    redis_outage, sent, django_capture_on_commit_callbacks
):
    feed = live.Subscription("dev-out")  # watched while Redis answered
    try:
        redis_outage.stop()
        for seq in (1, 2):  # the first meets the outage, the second is not even asked
            _publish(django_capture_on_commit_callbacks, [_reading("dev-out", seq)])
        assert sent == []
        assert redis_client.seems_down()
    finally:
        feed.close()
