"""HTTP routes for regions; thin: parse, call a service, shape the answer."""

from __future__ import annotations

from ninja import Router

from millet.regions import services

router = Router(tags=["regions"])


@router.get("/markets", auth=None, response=list[services.MarketInfo])
def list_markets(request) -> list[services.MarketInfo]:
    return services.list_markets()


@router.get("/markets/{code}", auth=None, response=services.MarketInfo)
def get_market(request, code: str) -> services.MarketInfo:
    return services.get_market(code)
