"""A refusal a page has no words for is said in general words in the visitor's language, never in the
service's English detail."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.refusals import refusal_words


def test_a_code_the_page_maps_gets_its_words_and_any_other_the_general_ones():
    words = {"known": gettext_lazy("Known")}
    assert refusal_words(Conflict("order CN-1 is known", code="known"), words) == "Known"
    unmapped = Conflict("order CN-1 is shipped, not paid", code="order_not_paid")
    for language, general in [
        ("en", "We could not do that. Check the details and try again."),
        ("hi", "यह नहीं हो सका। विवरण जाँचें और फिर से कोशिश करें।"),
        ("zh-hans", "操作未成功。请检查信息后重试。"),
    ]:
        with translation.override(language):
            assert refusal_words(unmapped, words) == general


def test_a_pages_sentence_names_the_refusals_facts_and_counts_them():
    """Staff pages showed the service's English detail because a page's sentence had no way to name
    the serial or the warehouse the detail named: the refusal carries them as ``facts``."""
    words = {
        "unknown_serial": gettext_lazy("There is no unit with the serial number %(serial)s."),
        "serials_mismatch": ngettext_lazy(
            "You ticked %(scanned)s unit for %(quantity)s returned.",
            "You ticked %(scanned)s units for %(quantity)s returned.",
            "scanned",
        ),
    }
    unknown = NotFound("unknown serial 'SN-9'", code="unknown_serial", facts={"serial": "SN-9"})
    assert refusal_words(unknown, words) == "There is no unit with the serial number SN-9."
    for scanned, said in [
        (1, "You ticked 1 unit for 2 returned."),
        (3, "You ticked 3 units for 2 returned."),
    ]:
        mismatch = Unprocessable("...", code="serials_mismatch", facts={"scanned": scanned, "quantity": 2})
        assert refusal_words(mismatch, words) == said


def test_a_sentence_whose_facts_the_refusal_lacks_is_the_general_one_not_a_500():
    """The same code raised by another service without the facts (``consume_reservations``'
    ``serials_mismatch``) must not break the page or show a bare ``%(scanned)s``."""
    words = {"serials_mismatch": gettext_lazy("You ticked %(scanned)s units.")}
    bare = Unprocessable("one serial per unit is needed", code="serials_mismatch")
    assert refusal_words(bare, words, "Try again.") == "Try again."
