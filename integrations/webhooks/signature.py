"""`X-Notion-Signature`: `sha256=` + the hex HMAC-SHA256 of the raw request body, keyed by
the subscription's verification token (Notion's documented scheme)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, key: str) -> str:
    return PREFIX + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, key: str) -> bool:
    """Whether `header` signs exactly these bytes (never re-serialised JSON) with `key`;
    compared in constant time."""
    if not header or not key or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(body, key).encode(), header.strip().encode())
