"""Loading millions of rows fast, for seed_demo: COPY on PostgreSQL (bulk_create elsewhere) with
a progress bar, and the tables' secondary indexes and constraints made after the load
(SecondaryIndexesDeferred)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import connection
from tqdm import tqdm

BATCH = 10_000


def insert_rows(model, columns: list[str], rows, total: int) -> None:
    """Insert tuples: COPY on PostgreSQL, bulk_create elsewhere; with a progress bar."""
    progress = tqdm(total=total, desc=model._meta.verbose_name_plural, unit="row")
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        fields = ", ".join(model._meta.get_field(c).column for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({fields}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                progress.update()
    else:
        batch = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) == BATCH:
                model.objects.bulk_create(batch)
                progress.update(len(batch))
                batch = []
        model.objects.bulk_create(batch)
        progress.update(len(batch))
    progress.close()


def batches(rows: list, label: str):
    """`rows` in slices of BATCH, with a progress bar."""
    for start in tqdm(range(0, len(rows), BATCH), desc=label, unit="batch"):
        yield rows[start : start + BATCH]


class SecondaryIndexesDeferred:
    """On PostgreSQL, drop the secondary indexes and the unique and foreign-key constraints of
    `models`' tables, and make them again on leaving, with the same names and definitions
    (checked), inside the caller's transaction: a failed load rolls the drop back too.

    Making an index once from the loaded rows is one sort; keeping it during a COPY of millions
    of rows in random key order is as many random page writes, and each foreign key a trigger
    event queued per row (Django's are deferred to the commit). Primary keys and CHECK
    constraints stay: the first is appended to in order, the second costs nothing.
    """

    KINDS = ("u", "f")  # unique, foreign key; re-added after the plain indexes

    def __init__(self, models, *, enabled: bool, report=None):
        self.tables = [model._meta.db_table for model in models]
        self.enabled = enabled
        self.report = report or (lambda name: None)

    def definitions(self, cursor) -> tuple[list, list]:
        """(indexes, constraints) of the tables: [(table, name, definition)], in a set order."""
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = ANY(%s) "
            "ORDER BY c.contype, 1, 2",
            [self.tables, list(self.KINDS)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indrelid::regclass::text, x.relname, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
            "AND c.conrelid = i.indrelid) ORDER BY 1, 2",
            [self.tables],
        )
        return cursor.fetchall(), constraints

    def __enter__(self):
        if not self.enabled:
            return self
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            self.indexes, self.constraints = self.definitions(cursor)
            # Checks still queued (the users just inserted) block ALTER TABLE: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # The foreign keys first: a unique constraint may back one.
            for table, name, _definition in self.constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for _table, name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        self.report(f"dropped {len(self.indexes)} indexes and {len(self.constraints)} constraints")
        return self

    def __exit__(self, kind, error, traceback):
        if not self.enabled or kind is not None:
            return False  # on an error the transaction rolls the drops back
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Sorting in memory: these builds are the seed's own, on a database being filled.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _table, _name, definition in self.indexes:
                cursor.execute(definition)
            self.report(f"built {len(self.indexes)} indexes")
            # Unique constraints (each builds its index), then foreign keys (each checks every
            # row in one join), in the reverse order of the drops.
            for table, name, definition in reversed(self.constraints):
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
            self.report(f"added {len(self.constraints)} unique and foreign-key constraints")
            if self.definitions(cursor) != (self.indexes, self.constraints):
                raise CommandError("The tables' indexes differ from the migrations' after load.")
        return False
