"""Every operation of the public OpenAPI, fed random valid and invalid input as a customer and as
staff, never answers 5xx and answers only what the document says (issue 8, fault 8).

schemathesis generates requests from the served schema (so new routes are covered without a test
being written) and checks each answer: no server error, a status the operation documents, its
content type, and a body that matches the documented schema for that status (errors included).
A few examples per operation, role and mode keep the run to minutes; the schema-driven coverage,
not the count, is the point.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from millet.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
EXAMPLES = 3  # per operation, role and mode: about 1,500 requests in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_connection():
    """As Django's test client does: the test's connection (and its transaction) stays open across
    requests instead of the WSGI handler closing it after each."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.fullstack  # minutes of requests: once, in the PostgreSQL pass (the stricter backend)
@pytest.mark.django_db
@pytest.mark.parametrize("role", ["alice", "staff"], ids=["customer", "staff"])
def test_every_operation_answers_as_documented(world, keep_connection, role):
    """One company per role for every operation (building it per operation cost most of the run);
    valid and invalid requests, a few of each. Every failure is listed, then the test fails."""
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
            )
            def run(case):
                case.validate_response(case.call(headers=headers), checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # no invalid input exists (say, a free-text path): nothing to send
                continue
            except Exception as exc:  # collected, all reported together below
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_every_operation_documents_its_errors():
    """Each operation names its error statuses with the one error body (core.openapi.ErrorOut)."""
    document = schema.raw_schema
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) > 100
    for operation in operations:
        errors = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
        assert {400, 422} <= set(errors), operation["operationId"]
        for answer in errors.values():
            body = answer["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorOut"}, operation["operationId"]


def test_payment_tokens_document_the_test_gateway():
    document = schema.raw_schema
    order = document["components"]["schemas"]["PlaceOrderIn"]["properties"]["payment_token"]
    assert "tok_ok" in str(order) and "tok_declined" in str(order)
