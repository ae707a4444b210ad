"""The floor: the least work that copies the same pages — plain httpx, json, one COPY.

No Django, no notion-client, no diffing: fetch every page of the data source (continuing in
windows past the 10,000-result cap, as any complete client must), decode the JSON, and COPY
the six columns into one table. `python -m bench.floor BASE_URL TOKEN DATA_SOURCE_ID PG_DSN`
"""

from __future__ import annotations

import json
import sys

import httpx
import psycopg


def plain(prop: dict | None) -> str:
    if not prop:
        return ""
    value = prop.get(prop.get("type"))
    if isinstance(value, list):
        return "".join(item.get("plain_text", "") for item in value)
    if isinstance(value, dict):
        return value.get("name", "")
    return value or ""


def pages(client: httpx.Client, data_source_id: str):
    lower, boundary = None, set()
    while True:
        body: dict = {
            "page_size": 100,
            "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
        }
        if lower:
            body["filter"] = {"timestamp": "created_time", "created_time": {"on_or_after": lower}}
        last_ts, last_ids = None, set()
        while True:
            response = client.post(f"/v1/data_sources/{data_source_id}/query", json=body)
            response.raise_for_status()
            data = json.loads(response.content)
            for page in data["results"]:
                if page["id"] in boundary:
                    continue
                if page["created_time"] != last_ts:
                    last_ts, last_ids = page["created_time"], set()
                last_ids.add(page["id"])
                yield page
            if not data.get("has_more"):
                break
            body["start_cursor"] = data["next_cursor"]
        if (data.get("request_status") or {}).get("type") != "incomplete":
            return
        lower, boundary = last_ts, last_ids


def main(base_url: str, token: str, data_source_id: str, dsn: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Notion-Version": "2025-09-03"}
    with (
        httpx.Client(base_url=base_url, headers=headers, timeout=60) as client,
        psycopg.connect(dsn, autocommit=True) as conn,
    ):
        conn.execute("DROP TABLE IF EXISTS floor_human")
        conn.execute(
            "CREATE TABLE floor_human (id text primary key, full_name text, telegram text, "
            "email text, phone text, status text)"
        )
        count = 0
        with conn.cursor() as cur, cur.copy("COPY floor_human FROM STDIN") as copy:
            for page in pages(client, data_source_id):
                props = page["properties"]
                title = next((p for p in props.values() if p["type"] == "title"), None)
                copy.write_row(
                    (
                        page["id"],
                        plain(title),
                        plain(props.get("Telegram")),
                        plain(props.get("Email")),
                        plain(props.get("Phone")),
                        plain(props.get("Status")),
                    )
                )
                count += 1
    print(json.dumps({"rows": count}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
