"""The audit trail's key: the keyed chain, keyed digests of personal values, signed checkpoints.

One secret, ``settings.SAFERHOOD_AUDIT_KEY``, kept outside the database (environment), so
someone who can write the database can still not forge the chain: with SHA-256 alone an
attacker edits a row and re-hashes the rest; with HMAC they cannot without the key. Each use
gets its own sub-key so a digest shown on a page can never stand in for a chain hash or a
checkpoint signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

DIGEST_PREFIX = "hmac:"


def _subkey(purpose: str) -> bytes:
    key = settings.SAFERHOOD_AUDIT_KEY
    if not key:
        raise RuntimeError("SAFERHOOD_AUDIT_KEY is not set: the audit trail cannot be written or verified")
    return hmac.new(key.encode(), f"saferhood-audit-{purpose}".encode(), hashlib.sha256).digest()


def chain_hash(prev_hash: str, canonical: str) -> str:
    """An event's hash: HMAC-SHA256 over the previous event's hash and its own content."""
    return hmac.new(_subkey("chain"), (prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


def legacy_sha256(prev_hash: str, canonical: str) -> str:
    """The unkeyed hash the trail used before the key (migration 0003 checks old rows with it)."""
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def sign(payload: dict[str, Any]) -> str:
    """The signature of a checkpoint's fields."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_subkey("checkpoint"), text.encode(), hashlib.sha256).hexdigest()


def digest(value: Any) -> str:
    """A keyed digest of a personal value: equal values give equal digests, the value is not kept.

    Without the key nobody can test a guess (a common name) against it; with the key a system
    admin can find the events about one value (``digest_search_term`` for search terms).
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return DIGEST_PREFIX + hmac.new(_subkey("digest"), text.encode(), hashlib.sha256).hexdigest()[:32]


def digest_search_term(value: Any) -> str:
    """Search terms are digested case- and space-insensitively: "Sam Smith " finds "sam smith"."""
    if isinstance(value, str):
        value = " ".join(value.split()).casefold()
    return digest(value)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
