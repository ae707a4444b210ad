"""Notion's integration webhooks: an edit in Notion reaches the database in seconds.

Flow (every step is a named piece):
- `views.notion_webhook` (`POST /notion/webhook/`): no login, CSRF-exempt, a small body. The
  subscription handshake (`{"verification_token": …}`) is recorded and acknowledged, never
  trusted: the key that verifies events is NOTION_WEBHOOK_VERIFICATION_TOKEN, or a recorded
  handshake a superuser confirmed in the admin. Every event must carry
  `X-Notion-Signature: sha256=<HMAC-SHA256 of the raw body>` (`signature.py`), or it gets
  401/403 and changes nothing. A valid event is stored once (its id is unique) and answered
  at once; the work happens in the worker.
- `services.webhook_event_receive`: which kind the event is for (its page's data source, as
  the last runs resolved it; a page we have that moved out; the data source itself), and a
  refresh is asked for: a `SyncRun` of that kind with trigger `webhook` and mode `pages`,
  under the kind's lock like any run. If a run of the kind is already queued it will take
  the event; if one is running, the event waits and a refresh follows its end
  (`receivers.py`); a minute schedule (`refresh_pending_webhook_events`) is the safety net
  for a worker restart or a lost hand-over. Pending events live in the database: nothing is
  lost, only delayed.
- The refresh run (`refresh.py`, called by the executor): waits until the events are quiet
  for NOTION_WEBHOOK_COALESCE_SECONDS (a burst of edits is one run), takes every pending
  event of its kind, and the kind re-reads the pages they name through the same decode ->
  diff -> apply path as a sync, with the same guards: a page is deactivated only when
  Notion confirms it is in the trash, gone or moved out. The events are marked done in the
  run's apply transaction, so they are applied once, or not at all (then the next refresh
  takes them again, NOTION_WEBHOOK_MAX_ATTEMPTS times at most).
- `data_source.schema_updated` / `data_source.deleted`: the kept schema is forgotten and
  the worker checks the mapping again (`tasks.notion_schema_check`); subscribers hear of a
  problem.
Polling stays as the fallback: events can be lost, and a relation edited from the other
side may fire no event on this side.
"""
