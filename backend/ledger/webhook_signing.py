"""Signing of completion webhooks, as Standard Webhooks define it: `webhook-signature` is
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`; new secrets are `whsec_<base64 key>`,
and a secret made before that format signs with its raw bytes. `sign` gives the former
`X-QA-Signature` header's value."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A signing secret in the Standard Webhooks format: `whsec_` and a base64 32-byte key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: a `whsec_` secret's decoded bytes, else its raw bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def sign_standard(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of id.timestamp.body."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str, body: bytes) -> str:
    """The former signature header's value: `sha256=` and the hex HMAC-SHA256 of the body,
    keyed with the secret as shown to the user."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
