"""Errors a user can act on. Interfaces print them as one line and exit with `exit_code`."""

from __future__ import annotations


class LayerwiseError(Exception):
    """Bad input or an unreachable resource: the user can fix it. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class NotFound(LayerwiseError):
    """A reference, feed or file that does not exist."""


class SchemaTooNew(LayerwiseError):
    """The database was written by a newer layerwise."""


class DatabaseDamaged(LayerwiseError):
    """The library file has damaged pages (`layerwise check`, `layerwise repair`)."""


class FetchError(LayerwiseError):
    """A URL that failed: HTTP error status, timeout, too large, not what was expected."""


class NoteConflict(LayerwiseError):
    """A note changed on disk while it was being edited elsewhere; the user's newer file wins."""
