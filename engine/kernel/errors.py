"""Domain errors: each maps to one HTTP status in the web layer and changes nothing."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    """Unknown, or not visible to this user (the two are never told apart)."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """Already completed or claimed, or the case changed meanwhile."""

    status = 409


class Invalid(DomainError):
    """Input that fails validation; `errors` maps field -> message."""

    status = 422
