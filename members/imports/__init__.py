"""Import members and their farms from a spreadsheet (XLSX or CSV), in three steps.

1. ``read_upload`` turns the uploaded bytes into rows of text cells keyed by column. It touches no
   database, and its result is JSON-serialisable so the view keeps it in the session between the
   preview and the confirmation.
2. ``member_import_preview`` validates every row against the database and plans what each row does
   (create, update, unchanged). Reads only: nothing is written.
3. ``member_import`` validates again (the database may have changed since the preview) and writes every
   row through the member and farm services in one transaction, or writes nothing.

One row is one member with one farm; several rows with the same member code are several farms of that
member, and their member columns must agree. An existing member is matched by DNI, else by code; a farm
by its name within the member. A column left out of the file leaves that field untouched on update; a
column present with an empty cell clears it.
"""

from members.imports.columns import COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES, Column
from members.imports.files import ImportFile, ImportFileError, read_upload, template_csv, template_xlsx
from members.imports.service import (
    Action,
    ImportCounts,
    ImportPreview,
    ImportRejected,
    ImportRow,
    RowError,
    member_import,
    member_import_preview,
)

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "Action",
    "Column",
    "ImportCounts",
    "ImportFile",
    "ImportFileError",
    "ImportPreview",
    "ImportRejected",
    "ImportRow",
    "RowError",
    "member_import",
    "member_import_preview",
    "read_upload",
    "template_csv",
    "template_xlsx",
]
