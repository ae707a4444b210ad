"""Staging of fetched records on disk, so a run never holds the whole database in memory
and never keeps a database transaction open while it waits for the network."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator


class Staging:
    def __init__(self, batch_size: int = 1000) -> None:
        self.batch_size = batch_size
        self._file = tempfile.TemporaryFile(prefix="sync-staging-")  # noqa: SIM115 - closed in close()
        self._pending: list[dict] = []
        self.count = 0

    def add(self, record: dict) -> None:
        self._pending.append(record)
        self.count += 1
        if len(self._pending) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def batches(self) -> Iterator[list[dict]]:
        self._flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
