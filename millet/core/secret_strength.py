"""Whether a secret key is strong enough to sign sessions, CSRF tokens and password-reset links.

Production refuses to start on a weak one rather than run on a key someone can guess. The bar is
Django's own deploy check (at least 50 characters, at least 5 distinct, no ``django-insecure-``
prefix) raised to an estimate of entropy that must reach 128 bits: the smaller of the key's length
times the Shannon entropy of its characters (which catches a small alphabet) and the size of the
key compressed by zlib (which catches repetition). ``secrets.token_urlsafe(50)`` (the local default,
about 67 characters of a 64-letter alphabet) is about 350 bits by this estimate and
``secrets.token_hex(32)`` about 240; ``"a" * 60`` or a word repeated to length is far below.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter

MIN_LENGTH = 50
MIN_DISTINCT = 5
MIN_BITS = 128
ZLIB_OVERHEAD_BYTES = 8  # header, checksum and block marker around any compressed text
INSECURE_PREFIXES = ("django-insecure", "insecure", "changeme", "change-me")


def estimated_bits(key: str) -> float:
    """A rough upper bound of the key's information in bits (see the module's docstring)."""
    if not key:
        return 0.0
    shannon = sum(n * math.log2(len(key) / n) for n in Counter(key).values())
    compressed = 8 * max(len(zlib.compress(key.encode(), 9)) - ZLIB_OVERHEAD_BYTES, 0)
    return min(shannon, compressed)


def weak_secret_reason(key: str) -> str | None:
    """Why ``key`` is too weak for production, or None when it is fine."""
    if key.lower().startswith(INSECURE_PREFIXES):
        return "it starts with a default or insecure prefix"
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters; at least {MIN_LENGTH} are needed"
    if len(set(key)) < MIN_DISTINCT or estimated_bits(key) < MIN_BITS:
        return f"it has about {estimated_bits(key):.0f} bits of entropy; at least {MIN_BITS} are needed"
    return None
