"""India's states and union territories with their GST state codes.

The GST state code is the first two digits of every GSTIN and names the place of supply on a tax
invoice: a buyer's state equal to the seller's means CGST + SGST (or UTGST), another state means
IGST (CGST Act 2017 and IGST Act 2017, s. 10). Codes as published by the GST Council's state code
list (GSTN), after the 2019 reorganisation (Ladakh 38) and the 2020 merger of Dadra and Nagar Haveli
with Daman and Diu (26; code 25 retired). Names in English and Hindi are proper nouns, kept as data.

This table is the source of truth for Indian states: each also carries its ISO 3166-2 code, the form
orders keep (``regions.subdivisions``), and ``place_of_supply`` is the one conversion between them;
tests/regions/test_india.py checks the table against pycountry's ISO 3166-2 list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndianState:
    gst_code: str  # two digits, e.g. "27"
    iso_code: str  # ISO 3166-2, e.g. "IN-MH": how orders name the place of supply
    name: str
    name_hi: str
    union_territory: bool = False


INDIAN_STATES: tuple[IndianState, ...] = (
    IndianState("35", "IN-AN", "Andaman and Nicobar Islands", "अंडमान और निकोबार द्वीपसमूह", True),
    IndianState("37", "IN-AP", "Andhra Pradesh", "आंध्र प्रदेश"),
    IndianState("12", "IN-AR", "Arunachal Pradesh", "अरुणाचल प्रदेश"),
    IndianState("18", "IN-AS", "Assam", "असम"),
    IndianState("10", "IN-BR", "Bihar", "बिहार"),
    IndianState("04", "IN-CH", "Chandigarh", "चंडीगढ़", True),
    IndianState("22", "IN-CG", "Chhattisgarh", "छत्तीसगढ़"),
    IndianState(
        "26", "IN-DH", "Dadra and Nagar Haveli and Daman and Diu", "दादरा और नगर हवेली और दमन और दीव", True
    ),
    IndianState("07", "IN-DL", "Delhi", "दिल्ली", True),
    IndianState("30", "IN-GA", "Goa", "गोवा"),
    IndianState("24", "IN-GJ", "Gujarat", "गुजरात"),
    IndianState("06", "IN-HR", "Haryana", "हरियाणा"),
    IndianState("02", "IN-HP", "Himachal Pradesh", "हिमाचल प्रदेश"),
    IndianState("01", "IN-JK", "Jammu and Kashmir", "जम्मू और कश्मीर", True),
    IndianState("20", "IN-JH", "Jharkhand", "झारखंड"),
    IndianState("29", "IN-KA", "Karnataka", "कर्नाटक"),
    IndianState("32", "IN-KL", "Kerala", "केरल"),
    IndianState("38", "IN-LA", "Ladakh", "लद्दाख", True),
    IndianState("31", "IN-LD", "Lakshadweep", "लक्षद्वीप", True),
    IndianState("23", "IN-MP", "Madhya Pradesh", "मध्य प्रदेश"),
    IndianState("27", "IN-MH", "Maharashtra", "महाराष्ट्र"),
    IndianState("14", "IN-MN", "Manipur", "मणिपुर"),
    IndianState("17", "IN-ML", "Meghalaya", "मेघालय"),
    IndianState("15", "IN-MZ", "Mizoram", "मिज़ोरम"),
    IndianState("13", "IN-NL", "Nagaland", "नागालैंड"),
    IndianState("21", "IN-OD", "Odisha", "ओडिशा"),
    IndianState("34", "IN-PY", "Puducherry", "पुदुचेरी", True),
    IndianState("03", "IN-PB", "Punjab", "पंजाब"),
    IndianState("08", "IN-RJ", "Rajasthan", "राजस्थान"),
    IndianState("11", "IN-SK", "Sikkim", "सिक्किम"),
    IndianState("33", "IN-TN", "Tamil Nadu", "तमिलनाडु"),
    IndianState("36", "IN-TS", "Telangana", "तेलंगाना"),
    IndianState("16", "IN-TR", "Tripura", "त्रिपुरा"),
    IndianState("09", "IN-UP", "Uttar Pradesh", "उत्तर प्रदेश"),
    IndianState("05", "IN-UK", "Uttarakhand", "उत्तराखंड"),
    IndianState("19", "IN-WB", "West Bengal", "पश्चिम बंगाल"),
)

_BY_CODE = {state.gst_code: state for state in INDIAN_STATES}
_BY_ISO = {state.iso_code: state for state in INDIAN_STATES}


def indian_state(gst_code: str) -> IndianState | None:
    """The state or union territory with this GST state code, or None."""
    return _BY_CODE.get(gst_code)


def place_of_supply(gst_code: str) -> str:
    """The one conversion from a GST state code (what a saved address and a GSTIN carry) to the
    ISO 3166-2 code an order keeps as its place of supply (``Order.shipping_state``):
    "27" -> "IN-MH". Raises KeyError for a code not in ``INDIAN_STATES``."""
    return _BY_CODE[gst_code].iso_code


def gst_state_code(iso_code: str) -> str:
    """The other way, for an invoice or a form showing an order's state: "IN-MH" -> "27".
    Raises KeyError for a code not in ``INDIAN_STATES``."""
    return _BY_ISO[iso_code].gst_code


def state_choices(language: str) -> list[tuple[str, str]]:
    """(GST state code, name in ``language``) for every state and union territory, by name."""
    return sorted(((s.gst_code, state_name(s.gst_code, language)) for s in INDIAN_STATES), key=lambda c: c[1])


def state_name(gst_code: str, language: str) -> str:
    """The state's name for a page in ``language`` (Hindi pages get the Devanagari name)."""
    state = _BY_CODE[gst_code]
    return state.name_hi if language == "hi" else state.name
