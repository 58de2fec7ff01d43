"""The SDK's HTTP layer: one requests.Session, bearer auth, error mapping and retries.

Retry rule (README, "Python SDK"): 429, 5xx and connection failures are retried with exponential backoff and full
jitter (0.5 s doubling, at most ``max_backoff`` seconds a wait), honouring ``Retry-After`` (seconds or an HTTP date) as
a lower bound; a ``Retry-After`` longer than ``max_retry_after`` ends the retries with the error. What may be repeated
depends on the request:

* reads and idempotent changes (GET, PUT, DELETE, a ``:cancel``) on every retryable failure;
* a create (a POST that makes something: a job, a dataset, a ``:retry``, a ``:redrive`` …) is sent with one
  ``Idempotency-Key`` per logical create, the same on every attempt, and is repeated on the same failures: the API
  runs a create once per key and answers a repeat with the first answer (``Idempotent-Replayed: true``), so a create
  whose answer was lost (a 5xx, a connection dropped after sending) is sent again without creating twice. When the
  retries run out the error carries ``idempotency_key``: send the create again with it to learn what happened.
"""
from __future__ import annotations

import email.utils
import json
import random
import time
import uuid
from typing import Any, Callable, Dict, Optional

import requests

from . import errors

REQUEST_ID_HEADER = "Sluice-Request-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class Transport:
    """Sends the API's requests for one base URL and key.

    Args:
        api_url: the API's base URL (``http://127.0.0.1:8080``), without ``/v1``.
        api_key: the bearer key.
        max_retries: attempts after the first (default 3).
        timeout: (connect, read) seconds of one attempt.
        max_backoff: cap of one backoff wait, seconds.
        max_retry_after: the longest ``Retry-After`` honoured, seconds; a longer one ends the retries.
        sleep: how to wait (``time.sleep``); tests pass a recorder.
    """

    def __init__(self, api_url: str, api_key: str, *, max_retries: int = 3, timeout=(10.0, 60.0),
                 max_backoff: float = 8.0, max_retry_after: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, session: Optional[requests.Session] = None,
                 user_agent: str = "sluice-python"):
        if not api_url:
            raise ValueError("api_url is required (e.g. http://127.0.0.1:8080)")
        if not api_key:
            raise ValueError("api_key is required")
        self.api_url = api_url.rstrip("/")
        self._key = api_key
        self.max_retries = max_retries
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.session = session or requests.Session()
        self.user_agent = user_agent

    def __repr__(self):  # never shows the key
        return f"Transport({self.api_url!r})"

    def close(self):
        self.session.close()

    def request(self, method: str, path: str, *, params: Optional[Dict[str, Any]] = None, body: Any = None,
                create: bool = False, idempotency_key: Optional[str] = None) -> Any:
        """Sends one API request (path under the API's base URL) and returns its JSON; raises :class:`ApiError`."""
        url = self.api_url + path
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json",
                   "User-Agent": self.user_agent}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        if create:
            headers[IDEMPOTENCY_HEADER] = idempotency_key or str(uuid.uuid4())
        query = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, params=query, data=data, headers=headers,
                                                timeout=self.timeout, allow_redirects=False)
            except requests.exceptions.RequestException as e:
                if attempt <= self.max_retries:
                    self.sleep(self._backoff(attempt, None))
                    continue
                err = errors.ConnectionError(self.api_url, e)
                err.idempotency_key = headers.get(IDEMPOTENCY_HEADER)
                raise err from e
            status = response.status_code
            if status == 429 or status >= 500:
                wait = self._backoff(attempt, response.headers.get("Retry-After"))
                if attempt <= self.max_retries and wait is not None:
                    response.close()
                    self.sleep(wait)
                    continue
            return self._result(response, headers.get(IDEMPOTENCY_HEADER))

    def _result(self, response: requests.Response, idempotency_key: Optional[str]) -> Any:
        request_id = response.headers.get(REQUEST_ID_HEADER)
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = None
        if 200 <= response.status_code < 300:
            return payload
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            code = error.get("code") or f"http.{response.status_code}"
            message = error.get("message") or response.reason or ""
            request_id = request_id or error.get("requestId")
        else:
            code, message = f"http.{response.status_code}", (response.text or response.reason or "")[:500]
        err = errors.error_for(response.status_code, code, message, request_id)
        err.idempotency_key = idempotency_key
        retry_after = response.headers.get("Retry-After")
        err.retry_after = _retry_after_seconds(retry_after) if retry_after else None
        raise err

    def _backoff(self, attempt: int, retry_after: Optional[str]) -> Optional[float]:
        """Seconds to wait before the next attempt, or None when Retry-After asks for more than we honour."""
        wait = random.uniform(0, min(self.max_backoff, 0.5 * (2 ** (attempt - 1))))
        if retry_after:
            asked = _retry_after_seconds(retry_after)
            if asked is not None:
                if asked > self.max_retry_after:
                    return None
                wait = max(wait, asked)
        return wait


def _retry_after_seconds(value: str) -> Optional[float]:
    """RFC 9110 §10.2.3: delay-seconds or an HTTP-date; None when it is neither."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
