"""Domain errors carry the HTTP status they map to, so services stay HTTP-free but APIs answer precisely."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A request the domain refuses; nothing was changed when it is raised.

    ``detail`` says why in English, for the API and the logs; ``facts`` names what the refusal is
    about (a serial number, a location's code, a limit) so that a page can say it in the person's
    language: a page's sentence takes them by name (``core.refusals.refusal_words``), where parsing
    them out of the English detail would be guesswork.
    """

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        facts: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.facts: Mapping[str, object] = dict(facts or {})
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code

    @property
    def form_status(self) -> int:
        """The status of a page that shows this refusal on the form whose input caused it: the error's
        own (409 for a state that refuses, 402 for a declined card), except that a form value naming
        nothing (``NotFound``: an unknown serial, voucher or SKU) is unprocessable input (422), not a
        missing page: the page itself was found."""
        return 422 if self.status_code == 404 else self.status_code


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request is well-formed but the current state refuses it (sold out, limit reached, wrong status)."""

    status_code = 409
    code = "conflict"


class Unprocessable(DomainError):
    status_code = 422
    code = "unprocessable"


class ServiceUnavailable(DomainError):
    """A service Millet depends on (Redis) cannot answer now: nothing was decided, the caller may
    retry after ``millet.core.outage.RETRY_AFTER_SECONDS`` (the answer carries ``Retry-After``)."""

    status_code = 503
    code = "service_unavailable"
