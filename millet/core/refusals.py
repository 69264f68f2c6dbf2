"""A service's refusal as a page says it: the page's own sentence for the refusal's code, or a general
one in the visitor's language, never the service's detail.

A service explains a refusal in English for the API and the logs (``DomainError.detail``, often with
ids in it); a page maps the codes it expects to translated sentences, which name what the refusal
is about from its ``DomainError.facts`` (the serial number, the location's code). A page that fell back on the
detail for any other code showed English on a Hindi or Chinese page (a newcomer's walk through the
pages found it on the till, the store manager's forms, the claims pages and more).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from millet.core.errors import DomainError

GENERAL = _("We could not do that. Check the details and try again.")


def refusal_words(exc: DomainError, words: Mapping[str, object], otherwise: object = GENERAL) -> str:
    """``words[exc.code]`` (a page's sentence, lazily translated) with the refusal's ``facts`` in its
    ``%(name)s`` places, else ``otherwise`` (a page's own general sentence, or ``GENERAL``).

    A sentence may be an ``ngettext_lazy`` counting one of the facts (its number given by name), as
    formatting picks its plural form. A sentence naming a fact this refusal does not carry (the same
    code raised by another service without it) is ``otherwise``, never a 500 nor a bare placeholder.
    """
    sentence = words.get(exc.code)
    if sentence is None:
        return str(otherwise)
    try:
        return str(sentence % exc.facts)
    except KeyError:
        return str(otherwise)


def refusal_about(
    item: object, exc: DomainError, words: Mapping[str, object], otherwise: object = GENERAL
) -> str:
    """``refusal_words`` after the name of the one item it refuses, for an admin action that handles
    several (orders, devices, planned openings) and says each refusal as its own message: the
    action said the service's English detail there, in an admin drawn in the person's language."""
    return gettext("%(item)s: %(refusal)s") % {"item": item, "refusal": refusal_words(exc, words, otherwise)}
