"""India's states: one table (regions.india) names each by GST state code and ISO 3166-2 code,
and it matches ISO 3166-2 as pycountry ships it, so a saved address's state and an order's place
of supply always name the same state."""

import pytest

from millet.core.errors import Unprocessable
from millet.regions.india import INDIAN_STATES, gst_state_code, place_of_supply
from millet.regions.subdivisions import check_state, subdivisions_of


def test_the_table_names_every_iso_subdivision_of_india_once():
    assert sorted(state.iso_code for state in INDIAN_STATES) == sorted(subdivisions_of("IN"))
    assert len({state.gst_code for state in INDIAN_STATES}) == len(INDIAN_STATES)


def test_a_gst_state_code_becomes_the_orders_place_of_supply_and_back():
    assert place_of_supply("27") == "IN-MH"  # Maharashtra
    assert place_of_supply("36") == "IN-TS"  # Telangana, ISO's 2023 code
    assert place_of_supply("26") == "IN-DH"  # the 2020 merged union territory
    for state in INDIAN_STATES:
        assert check_state("IN", place_of_supply(state.gst_code)) == state.iso_code
        assert gst_state_code(state.iso_code) == state.gst_code


def test_an_unknown_code_is_refused():
    with pytest.raises(KeyError):
        place_of_supply("25")  # retired in 2020
    with pytest.raises(Unprocessable):
        check_state("IN", "IN-XX")
