"""Verifying the signature of a Sluice webhook POST (the Datature Nexus scheme).

Each POST carries ``Datature-Webhook-Request-ID``, ``Datature-Webhook-Request-Time`` and
``Datature-Webhook-Signature`` = hex(HMAC-SHA256(base64decode(secret),
"Datature-Webhook-Request-ID={id}&Datature-Webhook-Request-Time={time}&RawBody={body}")), as signed by the Java
``dev.sluice.core.webhook.WebhookSignature`` (README, API section). The rule is the reference receiver's
(``verify_signature`` of the Datature batch-jobs guide): for every request that snippet accepts this function accepts
it too, and the other way round (``tests/test_signature.py``).
"""
from __future__ import annotations

import base64
import binascii
import hmac
from typing import Mapping, Union

__all__ = ["verify_signature", "SIGNATURE_HEADER", "REQUEST_ID_HEADER", "REQUEST_TIME_HEADER"]

SIGNATURE_HEADER = "Datature-Webhook-Signature"
REQUEST_ID_HEADER = "Datature-Webhook-Request-ID"
REQUEST_TIME_HEADER = "Datature-Webhook-Request-Time"


def _header(headers: Mapping[str, str], name: str):
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if value is None:  # any other spelling (HTTP header names are case-insensitive, RFC 9110 §5.1)
        for k, v in headers.items():
            if k.lower() == name.lower():
                return v
    return value


def verify_signature(secret: str, headers: Mapping[str, str], body: Union[str, bytes]) -> bool:
    """True when the POST was signed with ``secret``.

    Args:
        secret: the webhook's secret, base64, as the API returned it at creation or rotation.
        headers: the request's headers (any letter case: a dict, ``requests``/``http.server`` headers, a Lambda
            event's lower-cased ``headers``).
        body: the raw body exactly as received: ``str`` (decoded as UTF-8) or ``bytes``; never re-serialised JSON.

    Returns False when a signature header is missing or the signature differs (a constant-time comparison).
    Raises ``binascii.Error`` when ``secret`` is not base64 (a configuration error, not a forged request).
    """
    secret_bytes = base64.b64decode(secret)
    signature = _header(headers, SIGNATURE_HEADER)
    request_id = _header(headers, REQUEST_ID_HEADER)
    request_time = _header(headers, REQUEST_TIME_HEADER)
    if signature is None or request_id is None or request_time is None:
        return False
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    message = (f"Datature-Webhook-Request-ID={request_id}&"
               f"Datature-Webhook-Request-Time={request_time}&RawBody=").encode("utf-8") + raw
    calculated = binascii.hexlify(hmac.digest(secret_bytes, message, "sha256"))
    try:
        received = signature.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(calculated, received)
