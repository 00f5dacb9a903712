"""Where printed proposals are kept: the app's file storage (tracker/storage)."""

from __future__ import annotations

from tracker.storage import FileStorage, FolderStorage, InvalidKey, check_key, file_storage

ProposalStorage = FileStorage

__all__ = ["FolderStorage", "InvalidKey", "ProposalStorage", "check_key", "proposal_storage"]


def proposal_storage() -> FileStorage:
    """The configured file storage (TRACKER_FILE_STORAGE)."""
    return file_storage()
