"""``{% load insights_labels %}``: ``{{ code|product_line_name }}``, a product line (catalog category)
as shoppers read it in the page's language; an unknown code is shown as it is."""

from __future__ import annotations

from django import template

from millet.catalog import services as catalog

register = template.Library()


@register.filter
def product_line_name(code: str) -> str:
    return dict(catalog.categories()).get(code, code)
