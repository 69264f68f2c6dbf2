"""Every error Millet's API answers has one body, and the OpenAPI document says which ones each
operation can answer (issue 8, fault 8).

An error is ``{"error": code, "detail": ...}``: ``code`` is machine-readable (a domain error's
``code``, see core.errors, or one of the HTTP-level codes below), ``detail`` a sentence, or for
``invalid_input`` the list of pydantic's problems. ``MilletOpenAPISchema`` adds to each operation
the statuses it can answer besides its own: 400 (a body that is not JSON, NUL in the text), 422
(invalid input, or a domain refusal such as ``malformed_money``), 401 and 403 when it needs a
sign-in, 404 when it names something (any parameter or body), 409 when it changes state, 429
when it is throttled, and 503 always (a service it needs, Redis, is down: ``core.outage``). A route
lists any other error status in its own ``response`` with ``ErrorOut`` (402 for a declined payment)
or in ``openapi_extra``.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from ninja.openapi.schema import OpenAPISchema
from pydantic import Field

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "throttled"}


class ErrorOut(Schema):
    """The body of every error answer."""

    error: str = Field(
        description="Machine-readable code: invalid_input, bad_request, unauthorized, forbidden, "
        "not_found, throttled, service_unavailable, or the domain's own (for example unknown_sku, "
        "out_of_stock, idempotency_key_reused, malformed_money, payment_declined)"
    )
    detail: str | list[dict[str, Any]] = Field(
        description="What went wrong, in words; for invalid_input, one entry per problem (loc, msg, type)"
    )


_WHEN = {
    400: "The body is not JSON, or text holds a NUL character (bad_request)",
    401: "No valid bearer token (unauthorized)",
    403: "The signed-in user may not do this (forbidden, or a domain code)",
    404: "Something named is not there, or is not yours to see (not_found or a domain code "
    "such as unknown_order)",
    409: "The current state refuses the request (a domain code such as out_of_stock, "
    "idempotency_key_reused, wrong_status)",
    422: "The input breaks the schema (invalid_input, detail lists each problem) or a domain rule "
    "(such as malformed_money, unknown_state)",
    402: "The payment was declined (payment_declined; detail gives the gateway's reason)",
    413: "The upload is too large (image_too_large)",
    415: "The upload is not a supported type (unsupported_image_type)",
    429: "Too many requests (throttled, with Retry-After, or a domain code such as rate_limited)",
    503: "A service Millet needs is unavailable for now (service_unavailable, or gate_unavailable for "
    "the flash-sale gate); retry after the Retry-After header's seconds",
}


class MilletOpenAPISchema(OpenAPISchema):
    def responses(self, operation) -> dict[int, dict[str, Any]]:
        result = super().responses(operation)
        statuses = {400, 422, 503}
        if operation.auth_callbacks:
            statuses |= {401, 403}
        if operation.models:  # it names something (a path, a query, a body) that may not be there
            statuses.add(404)
        if set(operation.methods) - {"GET"}:
            statuses.add(409)
        if operation.throttle_objects:
            statuses.add(429)
        declared = (operation.openapi_extra or {}).get("responses", {})
        statuses |= {status for status in declared if status >= 400}
        statuses |= {status for status in result if status >= 400}  # a route's own, with ErrorOut
        self.add_schema_definitions({"ErrorOut": ErrorOut.model_json_schema(by_alias=True)})
        error = {self.api.renderer.media_type: {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for status in sorted(statuses):
            result[status] = {"description": _WHEN.get(status, "An error"), "content": error}
        return result
