"""The store's pages, per market (/shop/<market>/), priced from the catalog's storefront services in
the market's currency and named in the page's language:

- the market's home: a hero, the categories the market sells and featured products;
- a category: every product of it sold in the market;
- search: products whose name, description or SKU code contains the words, with a count;
- a product: its picture, variants, price, stock (inventory's, through ``catalog.shelves``), the
  device model spec of a connected product, and the add-to-cart form (works without JavaScript).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from millet.catalog.services import (
    MAX_SEARCH_LENGTH,
    ProductListing,
    categories,
    list_products,
    product_page,
    shelves,
)
from millet.catalog.spec_sheet import spec_sheet
from millet.core.not_found import as_404
from millet.core.replicas import replica_reads
from millet.web.markets import market_or_404

FEATURED = 8


def _cards(products: list[ProductListing]) -> list[dict]:
    labels = dict(categories())
    return [
        {"product": p, "label": labels.get(p.category, p.category), "price": min(s.price for s in p.skus)}
        for p in products
    ]


def _featured(products: list[ProductListing]) -> list[ProductListing]:
    """One product from each category first (the first by name), then the rest, up to ``FEATURED``."""
    firsts: dict[str, ProductListing] = {}
    for product in products:
        firsts.setdefault(product.category, product)
    rest = [p for p in products if p not in firsts.values()]
    return ([*firsts.values(), *rest])[:FEATURED]


def _tiles(products: list[ProductListing]) -> list[tuple[str, str]]:
    sold = {p.category for p in products}
    return [(value, label) for value, label in categories() if value in sold]


@require_safe
@replica_reads
def home(request: HttpRequest, market: str) -> HttpResponse:
    """The market's home: the categories it sells (links to their pages) and featured products."""
    info = market_or_404(market)
    products = list_products(info.code)
    context = {
        "tiles": _tiles(products),
        "cards": _cards(_featured(products)),
        "product_count": len(products),
    }
    return render(request, "catalog/home.html", context)


@require_safe
@replica_reads
def category(request: HttpRequest, market: str, category: str) -> HttpResponse:
    """Every product of ``category`` sold in the market; 404 for a category the market does not sell."""
    info = market_or_404(market)
    label = dict(categories()).get(category)
    products = list_products(info.code, category=category) if label else []
    if not products:
        raise Http404("no such category in this market")
    return render(
        request, "catalog/category.html", {"category": category, "label": label, **_listing(products)}
    )


def _listing(products: list[ProductListing]) -> dict:
    return {"cards": _cards(products), "result_count": len(products)}


@require_safe
@replica_reads
def search(request: HttpRequest, market: str) -> HttpResponse:
    """``?q=`` words in a product's name or description (any language) or a SKU code; the count of
    results and, for none, what to try instead. Blank or space-only ``q`` shows the form alone;
    longer than ``MAX_SEARCH_LENGTH`` is cut there. An htmx request (the search box as one types)
    gets the results alone (``catalog/_results.html``)."""
    info = market_or_404(market)
    query = " ".join(request.GET.get("q", "").split())[:MAX_SEARCH_LENGTH]
    products = list_products(info.code, search=query) if query else []
    context = {
        "query": query,
        "tiles": _tiles(list_products(info.code)) if not products else [],
        **_listing(products),
    }
    template = "catalog/_results.html" if request.headers.get("HX-Request") else "catalog/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_safe
@replica_reads
def product(request: HttpRequest, market: str, slug: str) -> HttpResponse:
    """A product sold in the market. ``?sku=`` picks the version; without it (or for a code that is
    not one of this product's) the first one that can be bought. 404 for an unknown, retired or
    unpriced product."""
    info = market_or_404(market)
    with as_404():
        page = product_page(slug, info.code)
    variants = page.product.skus
    stock = shelves([s.code for s in variants], info.code)
    buyable = [s for s in variants if stock[s.code].state != "sold_out"] or variants
    chosen = next((s for s in variants if s.code == request.GET.get("sku")), buyable[0])
    context = {
        "product": page.product,
        "variants": [(s, stock[s.code]) for s in variants],
        "chosen": chosen,
        "shelf": stock[chosen.code],
        "spec": spec_sheet(page.spec, page.spec_labels) if page.spec else [],
        "category_label": dict(categories()).get(page.product.category),
    }
    return render(request, "catalog/product.html", context)
