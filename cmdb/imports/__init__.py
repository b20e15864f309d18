"""Import and discovery: CIs and relations from CSV or JSON, reconciled on each class's identifiers.

**Reconciliation.** A row names its class; its identifier attributes (hostname, serial number …, unique in the
defining class's subtree) find the CI it describes. A class without identifiers, or a row giving none of them,
falls back to the name (unique per CI type). Found → only the changed fields are written, each with a CIHistory
row like ``services.update_ci`` writes; not found → created with the history ``services.create_ci`` writes.
A second row of one file for the same CI is an error (nothing is duplicated). An empty cell or a key left out
keeps the stored value (a discovery feed need not know every attribute); in JSON, an attribute given ``null`` in
the row's "attributes" object is cleared (a required one cannot be).

**Why not call the services per row.** ``create_ci``/``update_ci`` cost a dozen queries each (class lineage,
attribute definitions, identifier look-ups under advisory locks); 100,000 rows must import in under a minute.
So the classes, their attribute definitions, and the identifier and name maps are loaded once, every row is
validated in Python (``validate_attributes`` against the pre-loaded definitions, the services' choice checks)
and planned without writing; then the good rows are written in batches (``bulk_create``, ``UPDATE … FROM VALUES``,
the history rows by ``COPY``), one transaction per batch. The history rows are the services' (same fields, same
old/new values), written by this module's bulk path. A row is planned completely before anything is written,
so a bad row is skipped whole and a good one is written whole; if a batch still fails in the database (a
concurrent edit took a name), it is retried row by row, each row in its own savepoint.

**Other writers.** The plan is made against the CMDB as the import loaded it. Before a batch is written, its
identifiers are locked the way ``services`` lock them (advisory locks per defining class and key, taken in one
sorted order by every writer) and looked up again; a value somebody saved meanwhile makes that row an error, and
a save that comes while the batch is being written waits for it and is then refused by the services' own check.

**Dry run** is the same plan with the write step left out: the same report, nothing written.
"""

from .files import export_document, read_relation_rows, relations_to_csv, to_csv
from .report import ImportFileError, ImportReport, RowResult
from .run import BATCH_SIZE, SYNC_LIMIT, count_rows, import_cis

__all__ = [
    "BATCH_SIZE",
    "SYNC_LIMIT",
    "ImportFileError",
    "ImportReport",
    "RowResult",
    "count_rows",
    "export_document",
    "import_cis",
    "read_relation_rows",
    "relations_to_csv",
    "to_csv",
]
