"""A Notion emulator process holding N humans: `python -m bench.emulator N [LATENCY]`.

Prints one JSON line (base_url, token, database and data source ids), serves until killed.
Separate from the benchmarked processes so its work never shares their CPU time slice.
"""

import json
import signal
import sys
import time

from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import HUMANS_SCHEMA, add_humans

TOKEN = "secret_bench"


def main() -> None:
    count = int(sys.argv[1])
    latency = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    emulator = NotionEmulator(token=TOKEN, latency=latency).start()
    started = time.perf_counter()
    database = emulator.add_database(title="Люди", properties=HUMANS_SCHEMA)
    add_humans(emulator, database.database_id, count, seed=1)
    emulator.prerender()  # serialise every page once, before anything is timed
    print(
        json.dumps(
            {
                "base_url": emulator.base_url,
                "token": TOKEN,
                "database_id": database.database_id,
                "data_source_id": database.data_source_id,
                "seed_seconds": round(time.perf_counter() - started, 2),
            }
        ),
        flush=True,
    )
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    emulator.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
