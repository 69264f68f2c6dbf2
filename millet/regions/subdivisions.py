"""ISO 3166-2 subdivisions (states, provinces, Länder): the states a delivery address or a stock
location may name, which decide India's GST place of supply.

pycountry (pinned) ships ISO 3166-2 and follows its changes (India's 2023 codes IN-OD, IN-TS, IN-UK,
IN-CG); a table of our own would go stale the next time a state is renamed or two territories merge.
"""

from __future__ import annotations

from functools import lru_cache

from millet.core.errors import Unprocessable


@lru_cache(maxsize=16)
def subdivisions_of(country: str) -> frozenset[str]:
    """Every ISO 3166-2 code of ``country`` (ISO 3166-1 alpha-2), e.g. {"IN-MH", "IN-KA", ...}."""
    import pycountry  # loaded on first use: its tables are large and most requests name no state

    return frozenset(s.code for s in pycountry.subdivisions.get(country_code=country) or ())


def check_state(market: str, state: str) -> str:
    """``state`` if it is an ISO 3166-2 code of the market's country (e.g. "IN-KA"); "" stays "".

    Raises Unprocessable ``unknown_state`` (422) for anything else, so a typo never turns an
    inter-state supply into an intra-state one.
    """
    if state == "":
        return ""
    if not isinstance(state, str) or state not in subdivisions_of(market):
        example = f"{market}-{_example(market)}"
        raise Unprocessable(
            f"{state!r} is not an ISO 3166-2 state of {market} (e.g. {example})",
            code="unknown_state",
            facts={"state": state, "market": market, "example": example},
        )
    return state


def _example(market: str) -> str:
    codes = sorted(subdivisions_of(market))
    return codes[0].split("-", 1)[1] if codes else "XX"
