"""Receipts and invoices attached to expenditures: PDF or image, checked, then stored.

The type is read from the file's first bytes, never from its name or the browser's word;
the size is limited by TRACKER_RECEIPT_MAX_BYTES (10 MiB by default). Files are kept
through the app's file storage (tracker/storage), as printed proposals are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from tracker.grants.errors import SpendingRefused
from tracker.grants.models import Expenditure
from tracker.storage import file_storage

MAX_NAME_LENGTH = 200

# First bytes → (extension, media type).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)


@dataclass(frozen=True)
class ReceiptFile:
    """An uploaded receipt: the name the user gave it and its bytes."""

    name: str
    data: bytes


def max_receipt_bytes() -> int:
    """The largest receipt accepted (TRACKER_RECEIPT_MAX_BYTES)."""
    return int(current_app.config["RECEIPT_MAX_BYTES"])


def sniff(data: bytes) -> tuple[str, str] | None:
    """The receipt's (extension, media type) from its first bytes, or None if not allowed."""
    for signature, extension, media_type in SIGNATURES:
        if data.startswith(signature):
            return extension, media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def check_receipt(receipt: ReceiptFile) -> tuple[str, str]:
    """The receipt's (extension, media type), or a refusal saying what is wrong."""
    limit = max_receipt_bytes()
    if not receipt.data:
        raise SpendingRefused(_("The receipt file is empty."), field="receipt")
    if len(receipt.data) > limit:
        megabytes = format(limit / 1024 / 1024, "g")
        raise SpendingRefused(_("A receipt is at most %(mb)s MB.", mb=megabytes),
                              field="receipt")
    kind = sniff(receipt.data)
    if kind is None:
        raise SpendingRefused(_("A receipt is a PDF, PNG, JPEG or WebP file."),
                              field="receipt")
    return kind


def store_receipt(expenditure: Expenditure, receipt: ReceiptFile) -> None:
    """Check and keep the receipt, and note it on the expenditure (replacing any before)."""
    extension, media_type = check_receipt(receipt)
    digest = hashlib.sha256(receipt.data).hexdigest()
    key = f"receipts/{expenditure.grant_id}/{expenditure.id}-{digest[:16]}.{extension}"
    file_storage().put(key, receipt.data)
    expenditure.receipt_key = key
    expenditure.receipt_name = (receipt.name.replace("\\", "/").rsplit("/", 1)[-1].strip()
                                or f"receipt.{extension}")[:MAX_NAME_LENGTH]
    expenditure.receipt_type = media_type
    expenditure.receipt_size = len(receipt.data)
    expenditure.receipt_sha256 = digest


def receipt_bytes(expenditure: Expenditure) -> bytes | None:
    """The stored receipt, or None when there is none (or it was lost)."""
    if not expenditure.receipt_key:
        return None
    return file_storage().get(expenditure.receipt_key)
