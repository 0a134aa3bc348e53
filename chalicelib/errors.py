"""The errors Dougal reports to its clients.

Each class carries its HTTP status; its message is safe to show to the client.
Views and handlers raise these; ``chalicelib.api.http.endpoint`` turns them into
``{"message": …}`` responses. Database errors are translated into these at the
``db`` boundary so no psycopg detail reaches a client.
"""

from __future__ import annotations


class DougalError(Exception):
    status = 500
    default_message = "Internal error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class BadRequestError(DougalError):
    status = 400
    default_message = "Bad request"


class UnauthorizedError(DougalError):
    status = 401
    default_message = "Authentication required"


class ForbiddenError(DougalError):
    status = 403
    default_message = "Forbidden"


class NotFoundError(DougalError):
    status = 404
    default_message = "Not found"


class MethodNotAllowedError(DougalError):
    status = 405
    default_message = "Method not allowed"


class NotAcceptableError(DougalError):
    status = 406
    default_message = "Not acceptable"


class ConflictError(DougalError):
    status = 409
    default_message = "Conflict"


class UnsupportedMediaTypeError(DougalError):
    status = 415
    default_message = "Unsupported media type"


class TooManyRequestsError(DougalError):
    status = 429
    default_message = "Too many requests"


class ServiceUnavailableError(DougalError):
    """A dependency (database, queue) is unreachable: the caller may retry."""

    status = 503
    default_message = "Service unavailable"
