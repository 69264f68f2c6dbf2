"""The store's pages. The market home (/shop/<market>/): a hero, the categories the market sells
and featured products, priced from the catalog's storefront services in the market's currency."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from millet.catalog.services import ProductListing, categories, list_products
from millet.web.markets import market_or_404

FEATURED = 8


def _featured(products: list[ProductListing]) -> list[ProductListing]:
    """One product from each category first (the first by name), then the rest, up to ``FEATURED``."""
    firsts: dict[str, ProductListing] = {}
    for product in products:
        firsts.setdefault(product.category, product)
    rest = [p for p in products if p not in firsts.values()]
    return ([*firsts.values(), *rest])[:FEATURED]


@require_safe
def home(request: HttpRequest, market: str) -> HttpResponse:
    """The market's home. ``?category=`` narrows the grid to one category; an htmx request gets the
    grid alone (``catalog/_products.html``), a plain request the whole page."""
    info = market_or_404(market)
    products = list_products(info.code)
    sold = {p.category for p in products}
    tiles = [(value, label) for value, label in categories() if value in sold]
    labels = dict(categories())
    category = request.GET.get("category")
    shown = [p for p in products if p.category == category] if category in sold else _featured(products)
    context = {
        "tiles": tiles,
        "category": category if category in sold else None,
        "category_label": labels.get(category or ""),
        "cards": [
            {"product": p, "label": labels.get(p.category, p.category), "price": min(s.price for s in p.skus)}
            for p in shown
        ],
        "product_count": len(products),
    }
    template = "catalog/_products.html" if request.headers.get("HX-Request") else "catalog/home.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
