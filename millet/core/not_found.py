"""A page's answer to a domain's ``NotFound``: Django's 404 page.

Services raise ``core.errors.NotFound`` both for what does not exist and for what the actor may not
see (another person's order, policy or device), so a guessed id reads exactly like a missing one.
The API turns it into its error body by the error's own status (``millet.api``); a page view wraps
the lookup instead: ``with as_404(): order = sales.get_order(actor, number)``.

It lives in the kernel, not in ``millet.web``, so that the pages of every domain may use it,
accounts' among them (below ``web`` in the layers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import Http404

from millet.core.errors import DomainError, NotFound


@contextmanager
def as_404(*also: type[DomainError]) -> Iterator[None]:
    """Inside the block, ``NotFound`` (and the domain errors named in ``also``, such as devices'
    ``Forbidden`` for a device one may not even see) becomes ``Http404`` with the error's detail.

    The cause is dropped (``from None``): the 404 must not tell what was there to find. Other domain
    errors pass through untouched, for the view to put on its form.
    """
    try:
        yield
    except (NotFound, *also) as exc:
        raise Http404(exc.detail) from None
