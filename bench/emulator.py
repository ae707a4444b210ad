"""A Notion emulator process holding N humans: `python -m bench.emulator N [LATENCY [RATE]]`.

Prints one JSON line (base_url, token, database and data source ids), serves until killed;
on SIGUSR1 prints one JSON line of what it served since (requests, 429s, most at once).
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
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0  # requests/s, 429 above it
    emulator = NotionEmulator(token=TOKEN, latency=latency, rate_limit_rps=rate or None).start()
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
    # SIGUSR1: print what was served since the last one (requests, 429s) and start again.
    while signal.sigwait({signal.SIGTERM, signal.SIGINT, signal.SIGUSR1}) == signal.SIGUSR1:
        counts = {
            "requests": sum(emulator.request_counts.values()),
            "rate_limited": emulator.rate_limited_count,
            "max_in_flight": emulator.max_in_flight,
        }
        emulator.reset_counts()
        print(json.dumps(counts), flush=True)
    emulator.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    main()
