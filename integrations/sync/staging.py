"""Staging of fetched records on disk, so a run never holds the whole database in memory
and never keeps a database transaction open while it waits for the network."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any


class Spool:
    """Objects pickled one after another into a temporary file, read back in order."""

    def __init__(self, prefix: str = "sync-staging-") -> None:
        self._file = tempfile.TemporaryFile(prefix=prefix)  # noqa: SIM115 - closed in close()

    def dump(self, obj: Any) -> None:
        pickle.dump(obj, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def __iter__(self) -> Iterator[Any]:
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Staging(Spool):
    """Records added one by one, stored and read back in batches of `batch_size`."""

    def __init__(self, batch_size: int = 1000) -> None:
        super().__init__()
        self.batch_size = batch_size
        self._pending: list[dict] = []
        self.count = 0

    def add(self, record: dict) -> None:
        self._pending.append(record)
        self.count += 1
        if len(self._pending) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.dump(self._pending)
            self._pending = []

    def batches(self) -> Iterator[list[dict]]:
        self._flush()
        return iter(self)
