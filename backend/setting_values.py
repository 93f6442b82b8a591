"""Checks and forms of setting values that other modules use too: whether a production secret
is strong enough, a Redis URL with another database number, a URL with its password hidden."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "admin"}
MIN_SECRET_CHARS = 32


def weak_secret(value: str) -> str | None:
    """Why a production secret is too weak, or None: at least 32 characters that look random
    (many distinct characters, none repeated across most of it)."""
    value = value.strip()
    if value.lower() in PLACEHOLDER_SECRETS:
        return "is a placeholder"
    if len(value) < MIN_SECRET_CHARS:
        return f"has {len(value)} characters; use at least {MIN_SECRET_CHARS} random ones"
    if len(set(value)) < 12 or max(value.count(c) for c in set(value)) > len(value) // 4:
        return "does not look random (too few distinct characters)"
    return None


def redis_db_url(url: str, db: int) -> str:
    """The same Redis server with the given database number in the path."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and pages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url
