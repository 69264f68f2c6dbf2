"""HTTP routes for regions; thin: parse, call a service, shape the answer."""

from __future__ import annotations

from ninja import Router, Schema

from millet.regions import services

router = Router(tags=["regions"])


class MarketOut(Schema):
    code: str
    name: str
    currency: str
    languages: list[str]
    time_zone: str
    prices_include_tax: bool


@router.get("/markets", auth=None, response=list[MarketOut])
def list_markets(request) -> list[services.MarketInfo]:
    return services.list_markets()


@router.get("/markets/{code}", auth=None, response=MarketOut)
def get_market(request, code: str) -> services.MarketInfo:
    return services.get_market(code)
