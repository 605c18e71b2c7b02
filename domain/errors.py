"""Errors the application service raises; the API maps each to a problem type."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for every refusal by the domain."""


class RuleViolation(DomainError):
    """A command broke one of the rules R1–R16; nothing was written."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


class NotPermitted(RuleViolation):
    """The actor may not perform this command (on this trajectory or program)."""


class ReadNotPermitted(DomainError):
    """The actor may read the trajectory, but not this part of it (the dossier, say)."""


class InvalidInput(RuleViolation):
    """The command's input itself is malformed (unknown outcome code, empty field, ...)."""


class NotFound(DomainError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident


class AlreadyExists(DomainError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} already exists")
        self.what = what
        self.ident = ident


class VersionMismatch(DomainError):
    """The client's expected version (If-Match) is not the current one."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the current version is {actual}")
        self.expected = expected
        self.actual = actual


class ConcurrencyConflict(DomainError):
    """Concurrent writers kept winning after the bounded number of retries."""


class IdempotencyMismatch(DomainError):
    """The same idempotency key was used before with a different request body."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was used before with a different request")
        self.key = key
