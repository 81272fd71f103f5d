"""One error tree for the whole product.

Messages are written for the person who reads them: what happened, to which item, what to do next.
They never carry stack traces, SQL or secrets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sourcier.types import ModelAttempt


class SourcierError(Exception):
    """Base of every error sourcier raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(SourcierError):
    """A setting is missing or has a value sourcier cannot use."""


class IngestError(SourcierError):
    """A file could not be turned into passages."""


class UnsupportedFile(IngestError):
    """The file type is not one sourcier can read."""


class CorruptFile(IngestError):
    """The file is damaged, encrypted or otherwise unreadable."""


class EmptyFile(IngestError):
    """The file holds no text to index."""


class FileTooLarge(IngestError):
    """The file is over the configured size cap."""


class SyncError(SourcierError):
    """Keeping the index in line with its sources could not go ahead."""


class SyncAlreadyRunning(SyncError):
    """Another process is syncing this source right now; this run did nothing."""


class EmbeddingModelMismatch(ConfigError):
    """Vectors of one embedding model were about to meet vectors (or queries) of another."""


class NotAuthenticated(SourcierError):
    """No valid identity came with the request."""


class AccessDenied(SourcierError):
    """The identity may not perform this action."""


class NotFound(SourcierError):
    """The item does not exist (or is not visible to the caller)."""


class SqlRefused(SourcierError):
    """A generated SQL query was refused by the validator."""


class GuardRefusal(SourcierError):
    """A guard refused the question."""


class BackendUnavailable(SourcierError):
    """A backend (database, embedding server, LLM) could not be reached."""


class LLMError(BackendUnavailable):
    """A language model did not give a usable answer; the caller falls back to the extractive answer."""


class LLMTimeout(LLMError):
    """A language model took longer than its timeout (to its first token, or to its whole answer)."""


class LLMStreamCut(LLMError):
    """A language model's stream ended before the model said it had finished."""


class NoModelAnswered(LLMError):
    """Every configured model (the main one and its fallbacks) failed; `attempts` says how, in order."""

    def __init__(self, message: str, *, attempts: tuple[ModelAttempt, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.attempts = attempts
