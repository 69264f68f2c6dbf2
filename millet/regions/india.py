"""India's states and union territories with their GST state codes.

The GST state code is the first two digits of every GSTIN and names the place of supply on a tax
invoice: a buyer's state equal to the seller's means CGST + SGST (or UTGST), another state means
IGST (CGST Act 2017 and IGST Act 2017, s. 10). Codes as published by the GST Council's state code
list (GSTN), after the 2019 reorganisation (Ladakh 38) and the 2020 merger of Dadra and Nagar Haveli
with Daman and Diu (26; code 25 retired). Names in English and Hindi are proper nouns, kept as data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndianState:
    gst_code: str  # two digits, e.g. "27"
    name: str
    name_hi: str
    union_territory: bool = False


INDIAN_STATES: tuple[IndianState, ...] = (
    IndianState("35", "Andaman and Nicobar Islands", "अंडमान और निकोबार द्वीपसमूह", True),
    IndianState("37", "Andhra Pradesh", "आंध्र प्रदेश"),
    IndianState("12", "Arunachal Pradesh", "अरुणाचल प्रदेश"),
    IndianState("18", "Assam", "असम"),
    IndianState("10", "Bihar", "बिहार"),
    IndianState("04", "Chandigarh", "चंडीगढ़", True),
    IndianState("22", "Chhattisgarh", "छत्तीसगढ़"),
    IndianState("26", "Dadra and Nagar Haveli and Daman and Diu", "दादरा और नगर हवेली और दमन और दीव", True),
    IndianState("07", "Delhi", "दिल्ली", True),
    IndianState("30", "Goa", "गोवा"),
    IndianState("24", "Gujarat", "गुजरात"),
    IndianState("06", "Haryana", "हरियाणा"),
    IndianState("02", "Himachal Pradesh", "हिमाचल प्रदेश"),
    IndianState("01", "Jammu and Kashmir", "जम्मू और कश्मीर", True),
    IndianState("20", "Jharkhand", "झारखंड"),
    IndianState("29", "Karnataka", "कर्नाटक"),
    IndianState("32", "Kerala", "केरल"),
    IndianState("38", "Ladakh", "लद्दाख", True),
    IndianState("31", "Lakshadweep", "लक्षद्वीप", True),
    IndianState("23", "Madhya Pradesh", "मध्य प्रदेश"),
    IndianState("27", "Maharashtra", "महाराष्ट्र"),
    IndianState("14", "Manipur", "मणिपुर"),
    IndianState("17", "Meghalaya", "मेघालय"),
    IndianState("15", "Mizoram", "मिज़ोरम"),
    IndianState("13", "Nagaland", "नागालैंड"),
    IndianState("21", "Odisha", "ओडिशा"),
    IndianState("34", "Puducherry", "पुदुचेरी", True),
    IndianState("03", "Punjab", "पंजाब"),
    IndianState("08", "Rajasthan", "राजस्थान"),
    IndianState("11", "Sikkim", "सिक्किम"),
    IndianState("33", "Tamil Nadu", "तमिलनाडु"),
    IndianState("36", "Telangana", "तेलंगाना"),
    IndianState("16", "Tripura", "त्रिपुरा"),
    IndianState("09", "Uttar Pradesh", "उत्तर प्रदेश"),
    IndianState("05", "Uttarakhand", "उत्तराखंड"),
    IndianState("19", "West Bengal", "पश्चिम बंगाल"),
)

_BY_CODE = {state.gst_code: state for state in INDIAN_STATES}


def indian_state(gst_code: str) -> IndianState | None:
    """The state or union territory with this GST state code, or None."""
    return _BY_CODE.get(gst_code)


def state_name(gst_code: str, language: str) -> str:
    """The state's name for a page in ``language`` (Hindi pages get the Devanagari name)."""
    state = _BY_CODE[gst_code]
    return state.name_hi if language == "hi" else state.name
