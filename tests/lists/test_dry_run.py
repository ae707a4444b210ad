"""A dry run writes nothing at all: no list, no entry, not even a row that is rolled back
(which would take a list id from the sequence and name it in the report)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import SyncRun
from lists.models import PeopleList


def test_a_dry_run_of_a_new_list_sends_no_write_and_names_no_list_id(signup, import_list):
    with CaptureQueriesContext(connection) as queries:
        result = import_list(signup.url, "--dry-run")

    assert result.code == 0, result.err
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert not [sql for sql in writes if "lists_" in sql]
    (load,) = SyncRun.objects.get(kind="lists").report["lists"]
    assert load["list_id"] is None
    assert load["registered"] is True
    assert not PeopleList.objects.exists()
