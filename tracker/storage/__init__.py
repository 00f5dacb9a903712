"""Files that outlive a request: one small interface, two backends, chosen by a setting.

Several app servers and workers may share one database and no disk, so a file that must
outlive the request that made it (a final proposal, a job's export) goes through
`file_storage()`, never straight to the disk. TRACKER_FILE_STORAGE picks the backend:
`folder` (the default: files under instance/proposals, or TRACKER_PROPOSAL_STORAGE_DIR)
or `database` (the contents in chunks in the database every server already shares). An
object store can later follow the same interface.
"""

from tracker.storage.base import FileStorage, InvalidKey, check_key
from tracker.storage.choice import BACKENDS, DATABASE, FOLDER, file_storage, storage_folder
from tracker.storage.database import DatabaseStorage
from tracker.storage.folder import FolderStorage

__all__ = ["BACKENDS", "DATABASE", "FOLDER", "DatabaseStorage", "FileStorage", "FolderStorage",
           "InvalidKey", "check_key", "file_storage", "storage_folder"]
