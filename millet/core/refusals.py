"""A service's refusal as a page says it: the page's own sentence for the refusal's code, or a general
one in the visitor's language, never the service's detail.

A service explains a refusal in English for the API and the logs (``DomainError.detail``, often with
ids in it); a page maps the codes it expects to translated sentences. A page that fell back on the
detail for any other code showed English on a Hindi or Chinese page (a newcomer's walk through the
pages found it on the till, the store manager's forms, the claims pages and more).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from millet.core.errors import DomainError

GENERAL = _("We could not do that. Check the details and try again.")


def refusal_words(exc: DomainError, words: Mapping[str, object], otherwise: object = GENERAL) -> str:
    """``words[exc.code]`` (a page's sentence, lazily translated), else ``otherwise`` (a page's own
    general sentence, or ``GENERAL``)."""
    return str(words.get(exc.code, otherwise))
