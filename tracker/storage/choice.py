"""Which backend this deployment uses (TRACKER_FILE_STORAGE)."""

from __future__ import annotations

import os

from flask import current_app

from tracker.storage.base import FileStorage
from tracker.storage.database import DatabaseStorage
from tracker.storage.folder import FolderStorage

FOLDER = "folder"
DATABASE = "database"
BACKENDS = (FOLDER, DATABASE)


def storage_folder() -> str:
    """The folder backend's root: PROPOSAL_STORAGE_DIR, or instance/proposals by default."""
    return current_app.config.get("PROPOSAL_STORAGE_DIR") or os.path.join(
        current_app.instance_path, "proposals")


def file_storage() -> FileStorage:
    """The configured storage: FILE_STORAGE 'database', or the folder by default."""
    if current_app.config.get("FILE_STORAGE") == DATABASE:
        return DatabaseStorage()
    return FolderStorage(storage_folder())
