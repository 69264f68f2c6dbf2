"""Expected client errors are answers, not log lines (settings.LOGGING): a flash sale's sold-out
claims must not write one warning each. Server errors are still logged."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_an_expected_refusal_is_answered_without_a_log_line(client, caplog):
    refused = client.get("/api/sales/orders/CN261130-00000000")
    missing = client.get("/no-such-page/")
    assert (refused.status_code, missing.status_code) == (401, 404)
    assert not [record for record in caplog.records if record.name == "django.request"]


def test_a_server_error_is_still_logged():
    logger = logging.getLogger("django.request")
    assert logger.isEnabledFor(logging.ERROR) and not logger.isEnabledFor(logging.WARNING)
