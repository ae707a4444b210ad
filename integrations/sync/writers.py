"""Writers: stage changed rows while pages are still arriving, write them in one transaction.

The diff is made during the fetch (reads only: the per-kind lock means no other writer
touches the columns a sync owns), and the changed rows are staged:
- PostgreSQL: COPY into a session temporary table as each batch is diffed, so the CPU
  work of writing overlaps the network; the apply is one `INSERT … SELECT … ON CONFLICT
  DO UPDATE` per group, all inside the run's single transaction.
- other databases (SQLite): pickled to a temporary file; the apply is
  `bulk_create(update_conflicts=True)` per batch.
Either way the target tables are only written inside the apply transaction, and database
round trips grow with batches, never with rows.
"""

from __future__ import annotations

import itertools
import logging

from django.db import DatabaseError, connection, models

from integrations.sync.staging import Spool

logger = logging.getLogger(__name__)

_names = itertools.count(1)


class RowWriter:
    """Stage rows by group (extra update fields); `apply()` writes them all."""

    def __init__(
        self, model: type[models.Model], *, unique_field: str, update_fields: list[str]
    ) -> None:
        self.model = model
        self.unique_field = unique_field
        self.update_fields = update_fields
        self.staged = 0

    def existing(self, keys: list[str], columns: list[str]) -> dict[str, dict]:
        """Current values of `columns` for the rows with these unique keys, by key."""
        return {
            row[self.unique_field]: row
            for row in self.model.objects.filter(**{f"{self.unique_field}__in": keys}).values(
                self.unique_field, *columns
            )
        }

    def stage(self, rows: list[dict], *, extra: tuple[str, ...] = ()) -> None:
        raise NotImplementedError

    def apply(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OrmWriter(RowWriter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._chunks = Spool(prefix="sync-rows-")

    def stage(self, rows: list[dict], *, extra: tuple[str, ...] = ()) -> None:
        if rows:
            self._chunks.dump((extra, rows))
            self.staged += len(rows)

    def apply(self) -> None:
        for extra, rows in self._chunks:
            self.model.objects.bulk_create(
                [self.model(**row) for row in rows],
                update_conflicts=True,
                unique_fields=[self.unique_field],
                update_fields=[*self.update_fields, *extra],
            )

    def close(self) -> None:
        self._chunks.close()


class CopyWriter(RowWriter):
    #: COPY statements sent by this process (they bypass Django's execute wrappers)
    copies = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tables: dict[tuple[str, ...], tuple[str, list[str]]] = {}
        self._qn = connection.ops.quote_name

    def _column(self, name: str) -> str:
        return self._qn(self.model._meta.get_field(name).column)

    def existing(self, keys: list[str], columns: list[str]) -> dict[str, dict]:
        # One text parameter split by the server: not a thousand placeholders (the ORM's
        # `__in` spent more time binding them than PostgreSQL spent answering), nor an array
        # parameter, which psycopg adapts element by element in Python. Notion ids are hex
        # digits and dashes; an empty key or one with a comma (none so far) goes as an array.
        names = [self.unique_field, *columns]
        cols = ", ".join(self._column(n) for n in names)
        if any("," in key or not key for key in keys):
            wanted, param = "%s", keys
        else:
            wanted, param = "string_to_array(%s, ',')", ",".join(keys)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {cols} FROM {self._qn(self.model._meta.db_table)} "
                f"WHERE {self._column(self.unique_field)} = ANY({wanted})",
                [param],
            )
            return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}

    def stage(self, rows: list[dict], *, extra: tuple[str, ...] = ()) -> None:
        if not rows:
            return
        names = list(rows[0])
        with connection.cursor() as cursor:
            if extra not in self._tables:
                table = f"sync_stage_{next(_names)}"
                cols = ", ".join(self._column(n) for n in names)
                cursor.execute(
                    f"CREATE TEMP TABLE {self._qn(table)} AS SELECT {cols} "
                    f"FROM {self._qn(self.model._meta.db_table)} WITH NO DATA"
                )
                self._tables[extra] = (table, names)
            table, table_names = self._tables[extra]
            cols = ", ".join(self._column(n) for n in table_names)
            with cursor.cursor.copy(f"COPY {self._qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[n] for n in table_names])
            CopyWriter.copies += 1
        self.staged += len(rows)

    def apply(self) -> None:
        target = self._qn(self.model._meta.db_table)
        with connection.cursor() as cursor:
            for extra, (table, names) in self._tables.items():
                cols = ", ".join(self._column(n) for n in names)
                updates = ", ".join(
                    f"{self._column(n)} = EXCLUDED.{self._column(n)}"
                    for n in [*self.update_fields, *extra]
                )
                cursor.execute(
                    f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {self._qn(table)} "
                    f"ON CONFLICT ({self._column(self.unique_field)}) DO UPDATE SET {updates}"
                )

    def close(self) -> None:
        tables, self._tables = self._tables, {}
        if not tables or connection.connection is None:
            return
        try:
            with connection.cursor() as cursor:
                for table, _names in tables.values():
                    cursor.execute(f"DROP TABLE IF EXISTS {self._qn(table)}")
        except DatabaseError:
            # A dead connection took its temporary tables with it; keep the real error.
            logger.warning("Staging tables not dropped", exc_info=True)


def row_writer(
    model: type[models.Model], *, unique_field: str, update_fields: list[str]
) -> RowWriter:
    cls = CopyWriter if connection.vendor == "postgresql" else OrmWriter
    return cls(model, unique_field=unique_field, update_fields=update_fields)
