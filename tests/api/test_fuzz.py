"""Every operation of the public OpenAPI, fed random valid and invalid input, never answers 5xx.

schemathesis generates requests from the served schema (so new routes are covered without a test
being written) and checks that no request makes the server fail and that answers match the schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from millet.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def staff_token(world):
    """As Django's test client does: keep the test's connection (and its transaction) open across
    requests, instead of the WSGI handler closing it when each request finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield world.tokens["staff"]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case, staff_token):
    # As staff, so requests get past authentication and reach validation and the services.
    response = case.call(headers={"Authorization": f"Bearer {staff_token}"})
    case.validate_response(response, checks=[not_a_server_error])
