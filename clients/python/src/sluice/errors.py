"""Errors of the Sluice SDK.

Every error answer of the API is ``{"error": {"code": "dotted.code", "message": "what to change"}}`` (README, API
section); it becomes an :class:`ApiError` subclass chosen by the HTTP status, carrying ``status``, ``code``,
``message`` and ``request_id`` (the ``Sluice-Request-Id`` response header, or the error body's ``requestId``, when the
API sends one; ``None`` otherwise).
"""
from typing import Optional

__all__ = [
    "SluiceError", "ApiError", "BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError",
    "MethodNotAllowedError", "ConflictError", "PayloadTooLargeError", "RateLimitError", "ServerError",
    "ConnectionError", "TimeoutError", "ResourceFailedError",
]


class SluiceError(Exception):
    """The base of every error the SDK raises."""


class ApiError(SluiceError):
    """An error answer of the API.

    Attributes:
        status: the HTTP status (400..599).
        code: the API's stable dotted code (``dataset.not_ready``); ``http.<status>`` when the body had none
            (e.g. a proxy's HTML error page).
        message: the API's message, which says what to change.
        request_id: the ``Sluice-Request-Id`` of the answer, for a support request; ``None`` when absent.
    """

    def __init__(self, status: int, code: str, message: str, request_id: Optional[str] = None):
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"HTTP {status} {code}: {message}{suffix}")


class BadRequestError(ApiError):
    """400: the request is invalid (``request.*``, ``job.*`` …)."""


class AuthenticationError(ApiError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(ApiError):
    """403."""


class NotFoundError(ApiError):
    """404: no such resource in this project (another project's resource answers the same)."""


class MethodNotAllowedError(ApiError):
    """405 ``route.method_not_allowed``."""


class ConflictError(ApiError):
    """409: the resource is not in a state that allows this (``dataset.not_ready``, a job already ended …)."""


class PayloadTooLargeError(ApiError):
    """413 ``request.too_large``: the body is over 1 MiB."""


class RateLimitError(ApiError):
    """429, after the SDK's retries."""


class ServerError(ApiError):
    """5xx, after the SDK's retries (or at once for a create the SDK could not repeat safely)."""


class ConnectionError(SluiceError):  # noqa: A001 - the SDK's own, distinct from the builtin
    """The API could not be reached (after the SDK's retries). ``url`` is the API's base URL."""

    def __init__(self, url: str, cause: BaseException):
        self.url = url
        self.cause = cause
        super().__init__(f"cannot reach the Sluice API at {url}: {cause}")


class TimeoutError(SluiceError):  # noqa: A001
    """A wait (``wait_until_done``, a dataset's upload) passed its timeout; ``last`` is the last state seen."""

    def __init__(self, message: str, last=None):
        self.last = last
        super().__init__(message)


class ResourceFailedError(SluiceError):
    """A dataset or model ended ``Failed`` (or not Ready) while the SDK waited for it; ``resource`` is its last state."""

    def __init__(self, message: str, resource=None):
        self.resource = resource
        super().__init__(message)


_BY_STATUS = {
    400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError,
    405: MethodNotAllowedError, 409: ConflictError, 413: PayloadTooLargeError, 429: RateLimitError,
}


def error_for(status: int, code: str, message: str, request_id: Optional[str]) -> ApiError:
    """The :class:`ApiError` subclass of an HTTP status."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(status, code, message, request_id)
