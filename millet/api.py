"""The public JSON API: one NinjaAPI, one router per domain, OpenAPI at /api/docs."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from millet.accounts.auth import api_auth
from millet.core.errors import DomainError, ServiceUnavailable
from millet.core.nul import NulRejectingParser
from millet.core.openapi import HTTP_CODES, MilletOpenAPISchema
from millet.core.outage import retry_later
from millet.core.types import ERROR_CODES

# Operation ids are what generated clients call, so they must not change when code moves. Ninja
# derives them from the route's module; lending and insurance were published from inside finance.
PUBLISHED_MODULES = {
    "millet.lending.api": "millet.finance.lending.api",
    "millet.insurance.api": "millet.finance.insurance.api",
}


class MilletAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        return f"{PUBLISHED_MODULES.get(module, module)}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(self, *, path_prefix=None, path_params=None) -> MilletOpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return MilletOpenAPISchema(self, path_prefix)


api = MilletAPI(
    title="Millet API",
    version="1",
    description="New retail, device cloud and internet finance for connected-hardware companies.",
    auth=api_auth,
    docs_url="/docs",
    urls_namespace="api",
    parser=NulRejectingParser(),
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    response = api.create_response(request, {"error": exc.code, "detail": exc.detail}, status=exc.status_code)
    # A refusal for want of a service (a Redis outage: the flash-sale gate, a token's revocation)
    # says when to come back; any other outage a route meets is core.outage.OutageMiddleware's.
    return retry_later(response) if isinstance(exc, ServiceUnavailable) else response


@api.exception_handler(ValidationError)
def _invalid_input(request, exc: ValidationError):
    codes = {problem.get("type") for problem in exc.errors}
    code = codes.pop() if len(codes) == 1 and codes <= ERROR_CODES else "invalid_input"
    return api.create_response(request, {"error": code, "detail": exc.errors}, status=422)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja's own refusals (401, 403, 429, an unreadable body) in Millet's one error body (core.openapi)
    code = HTTP_CODES.get(exc.status_code, "error")
    return api.create_response(request, {"error": code, "detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return api.create_response(request, {"error": "not_found", "detail": str(exc) or "not found"}, status=404)


@api.exception_handler(IntegrityError)
def _integrity_error(request, exc: IntegrityError):
    # A constraint caught what the service checks did not (a race): refuse, nothing was committed.
    return api.create_response(
        request, {"error": "conflict", "detail": "conflicting change, retry"}, status=409
    )


@api.get("/health", auth=None, tags=["system"])
def health(request) -> dict:
    """Liveness probe; also the trivial endpoint the benchmarks use as the HTTP stack's ceiling."""
    return {"ok": True}


def _mount() -> None:
    from millet.accounts.api import router as accounts
    from millet.catalog.api import router as catalog
    from millet.finance.api import router as finance
    from millet.inventory.api import router as inventory
    from millet.regions.api import router as regions
    from millet.sales.api import router as sales
    from millet.stores.api import router as stores

    # First: Django tries URL patterns in order, and a Singles-Day gate request should not walk the
    # other hundred-odd routes on every claim (about 10% of its server time, measured).
    api.add_router("/flashsale", "millet.flashsale.api.router")
    api.add_router("/accounts", accounts)
    api.add_router("/regions", regions)
    api.add_router("/catalog", catalog)
    api.add_router("/inventory", inventory)
    api.add_router("/sales", sales)
    api.add_router("/stores", stores)
    api.add_router("/finance", finance)
    api.add_router("/lending", "millet.lending.api.router")
    api.add_router("/insurance", "millet.insurance.api.router")
    api.add_router("/devices", "millet.devices.api.router")
    api.add_router("/telemetry", "millet.devices.telemetry.api.router")
    api.add_router("/vision", "millet.vision.api.router")
    api.add_router("/insights", "millet.insights.api.router")


_mount()
