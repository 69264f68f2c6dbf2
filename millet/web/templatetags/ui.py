"""``{% load ui %}``: the formats every page uses (see docs/WEB.md).

- ``{{ amount|money:currency }}``: a price for this page's language and market (``web.formats.money``);
- ``{{ count|number }}``: grouping per locale (1,00,000 in India);
- ``{{ share|percent }}``: a share (0.125) as a whole percentage in the page's locale (``percent:True``:
  every decimal it has, for a rate such as a loan's APR);
- ``{{ when|local_date }}``, ``{{ when|local_datetime }}``: in the market's time zone and locale;
- ``{{ code|market_name }}``: a market's country in the page's language;
- ``{% countdown deadline %}``: the countdown component, server-rendered and ticked by millet.js.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone

from millet.web import formats

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    return "" if amount is None or amount == "" else formats.money(amount, currency)


@register.filter
def number(value) -> str:
    return "" if value is None or value == "" else formats.number(value)


@register.filter
def percent(share, exact: bool = False) -> str:
    return "" if share is None or share == "" else formats.percent(share, exact=exact)


@register.filter
def local_date(value, length: str = "medium") -> str:
    return "" if not value else formats.local_date(value, length)


@register.filter
def local_datetime(value, length: str = "medium") -> str:
    return "" if not value else formats.local_datetime(value, length)


@register.filter
def market_name(code: str) -> str:
    """A market code as the page's language names its country: ``{{ "DE"|market_name }}`` is Germany, 德国."""
    return formats.market_name(code) if code else ""


@register.inclusion_tag("components/countdown.html")
def countdown(deadline: datetime, label: str = "") -> dict:
    """Time left until ``deadline``: days, hours, minutes, seconds as the server sees them now
    (what a page without JavaScript shows), the ISO deadline millet.js ticks to, and the
    server's clock (``now``): the component counts by it, so a wrong clock on the phone does not end
    a countdown early or late."""
    now = timezone.now()
    left = max(0, math.ceil((deadline - now).total_seconds()))  # zero only once it has passed
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return {
        "deadline": deadline,
        "iso": deadline.isoformat(),
        "now": now.isoformat(),
        "label": label,
        "ended": left == 0,
        "parts": {
            "days": days,
            "hours": f"{hours:02d}",
            "minutes": f"{minutes:02d}",
            "seconds": f"{seconds:02d}",
        },
    }
