"""The one error of backups and restores: what went wrong, said so the operator can act."""

from __future__ import annotations

from tracker.errors import DomainError


class BackupError(DomainError):
    """A backup could not be written, or an archive cannot be restored; nothing was changed."""
