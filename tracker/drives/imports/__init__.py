"""Importing a file of pledges (CSV or XLSX) into a drive: every row valid, or nothing.

The standard file is a CSV with the header `date,name,email,amount,currency,reference`:
UTF-8 with or without a byte-order mark, commas or semicolons between cells, ISO dates,
`.` or `,` as the decimal mark (spaces as thousands separators), an empty name for an
anonymous pledge. Optional columns record money already received and how the pledge
stands (`paid_amount,paid_currency,paid_on,paid_method,status,anonymous`: see
`paid`); the export (tracker.drives.exports) writes them all, so an export imports
as it is. Other programs' exports are read through a column mapping (our field ->
their header).

Every row is checked before anything is written; one bad row refuses the whole file
and every bad row is named by the row number a spreadsheet shows (the header is row 1).
Rows whose reference the drive already holds are skipped and counted, so importing a
file again adds nothing twice.

A good file is written in one transaction, fast enough for 100,000 rows and in little
memory: each row is written as soon as it is checked, so that the rows never all sit in
memory as objects, and a bad row undoes what was sent (a savepoint). The web import
reads its file twice: once when it is uploaded, to preview it, and once when the
import is confirmed. The drive's references
and the rates into its currency are read once a reading (one query each), each pledge
is converted in memory by money.conversion.RateBook (the one conversion rule) and
stored exactly as drives.pledges.log_pledge stores it, the rows go in through the one
bulk writer (tracker.bulk: executemany in chunks; on PostgreSQL a pipelined INSERT a
chunk, stored while the next rows are read), and the drive's
totals are recomputed once, before the commit. Writing on the connection bypasses
the per-row audit hooks, so the import records one audit event on the drive instead:
how many pledges came from which file, and who imported them.

Modules: `files` reads a file into rows and finds its columns, `rows` checks each
row, `paid` its payment and how its pledge is settled, `writer` stores the new ones,
`importer` runs a check or an import, `uploads` keeps a web upload until it is confirmed.
Reading a table and its columns, and a workbook's checks before it is read, are shared
with the other imports (tracker.tabular, tracker.workbook).
"""

from __future__ import annotations

from tracker.drives.imports.background import (
    import_summary,
    import_task,
    needs_job,
    rate_warning,
    start_import,
)
from tracker.drives.imports.files import (
    FIELD_NAMES,
    FIELDS,
    FULL_HEADER,
    PAYMENT_FIELDS,
    PLEDGE_FIELDS,
    REQUIRED,
    STANDARD_HEADER,
    PledgeImportError,
    check_mapping,
)
from tracker.drives.imports.importer import (
    PLEDGE_IMPORT,
    CheckedFile,
    ImportResult,
    check_pledge_file,
    import_checked,
    import_file,
    import_pledges,
)
from tracker.drives.imports.rows import PreviewRow, RowChecker, parse_amount
from tracker.drives.imports.uploads import (
    UPLOAD_KEPT_HOURS,
    check_upload,
    confirm_upload,
    find_upload,
    get_upload,
    store_upload,
)
from tracker.workbook import FileLimits, check_workbook, estimate_rows, is_xlsx

__all__ = [
    "FIELDS",
    "FIELD_NAMES",
    "FULL_HEADER",
    "PAYMENT_FIELDS",
    "PLEDGE_FIELDS",
    "PLEDGE_IMPORT",
    "REQUIRED",
    "STANDARD_HEADER",
    "UPLOAD_KEPT_HOURS",
    "CheckedFile",
    "FileLimits",
    "ImportResult",
    "PledgeImportError",
    "PreviewRow",
    "RowChecker",
    "check_mapping",
    "check_pledge_file",
    "check_upload",
    "check_workbook",
    "confirm_upload",
    "estimate_rows",
    "find_upload",
    "get_upload",
    "import_checked",
    "import_file",
    "import_pledges",
    "import_summary",
    "import_task",
    "is_xlsx",
    "needs_job",
    "parse_amount",
    "rate_warning",
    "start_import",
    "store_upload",
]
