"""A refusal a page has no words for is said in general words in the visitor's language, never in the
service's English detail."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy

from millet.core.errors import Conflict
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
