from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ACTIVE_STATUSES = ("queued", "running")


class SyncRun(models.Model):
    """One run of one sync kind, from any door (bot, schedule, CLI, admin).

    The partial unique constraint is the lock: at most one queued-or-running run per kind,
    enforced by the database so two doors racing cannot both win. The life of a run (who
    moves it from which state to which, and what happens when a process dies) is described
    in `integrations/runs/__init__.py`.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    class Trigger(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram")
        SCHEDULE = "schedule", _("schedule")
        CLI = "cli", _("command line")
        ADMIN = "admin", _("admin")
        WEBHOOK = "webhook", _("Notion webhook")

    class Mode(models.TextChoices):
        FULL = "full", _("full")
        INCREMENTAL = "incremental", _("incremental")
        #: a refresh of the pages Notion's webhook events named (and what changed since)
        PAGES = "pages", _("changed pages")

    kind = models.CharField(_("kind"), max_length=50, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.FULL)
    dry_run = models.BooleanField(_("dry run"), default=False)
    allow_mass_deactivation = models.BooleanField(_("mass deactivation allowed"), default=False)
    triggered_by = models.ForeignKey(
        "people.Human",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_runs",
        verbose_name=_("started by"),
    )
    chat_id = models.BigIntegerField(_("Telegram chat"), null=True, blank=True)
    message_id = models.BigIntegerField(_("Telegram message"), null=True, blank=True)

    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    claimed_at = models.DateTimeField(
        _("claimed at"),
        null=True,
        blank=True,
        help_text=_("When a process (worker or command line) took the run to execute it."),
    )
    claimed_by = models.CharField(
        _("claimed by"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("The executing process, as host:pid:nonce."),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=32, blank=True, default="")

    fetched = models.PositiveIntegerField(_("fetched"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    deactivated = models.PositiveIntegerField(_("deactivated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    notion_requests = models.PositiveIntegerField(
        _("requests"),
        default=0,
        help_text=_("Requests sent to the source: Notion, or Google Sheets for lists."),
    )
    params = models.JSONField(
        _("arguments"),
        default=dict,
        blank=True,
        help_text=_("What the run was asked for beyond its kind (e.g. which list to load)."),
    )
    report = models.JSONField(
        _("report"),
        default=dict,
        blank=True,
        help_text=_("What the kind reported beyond the counts."),
    )
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    end_notified_at = models.DateTimeField(_("end reported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="syncrun_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.deactivated


class RateLimitBucket(models.Model):
    """A request rate shared by every process: the Notion limit is per integration, not per
    run or per process (`integrations/notion/ratelimit.py`)."""

    key = models.CharField(_("key"), max_length=64, primary_key=True)
    #: the theoretical arrival time of the next request, in seconds since the epoch (GCRA)
    next_at = models.FloatField(_("next request at"), default=0.0)

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")

    def __str__(self) -> str:
        return self.key


class NotionSource(models.Model):
    """What a kind's Notion database resolved to: its data source and that source's schema,
    kept between runs (a quiet incremental run then costs one request) and read by the
    webhook endpoint to tell which kind an event is for, without asking Notion."""

    kind = models.CharField(_("kind"), max_length=50, unique=True)
    database_id = models.CharField(_("Notion database id"), max_length=64)
    data_source_id = models.CharField(_("Notion data source id"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=300, blank=True, default="")
    properties = models.JSONField(_("properties"), default=dict)
    resolved_at = models.DateTimeField(_("read from Notion at"))

    class Meta:
        verbose_name = _("Notion data source")
        verbose_name_plural = _("Notion data sources")

    def __str__(self) -> str:
        return f"{self.kind}: {self.data_source_id}"


class NotionWebhookEvent(models.Model):
    """An event Notion sent to `/notion/webhook/` with a valid signature, kept once (by its
    id: Notion delivers at most once, but retries and duplicates happen). Events are
    signals: a refresh run of the event's kind re-reads the pages they name."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a refresh")
        DONE = "done", _("applied")
        IGNORED = "ignored", _("ignored")
        GAVE_UP = "gave_up", _("given up (left to the regular syncs)")

    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    type = models.CharField(_("type"), max_length=64)
    entity_id = models.CharField(_("entity id"), max_length=64, db_index=True)
    entity_type = models.CharField(_("entity type"), max_length=32, blank=True, default="")
    data_source_id = models.CharField(
        _("Notion data source id"), max_length=64, blank=True, default=""
    )
    kind = models.CharField(_("kind"), max_length=50, blank=True, default="")
    occurred_at = models.DateTimeField(_("happened at"))
    attempt_number = models.PositiveSmallIntegerField(_("delivery attempt"), default=1)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    run = models.ForeignKey(
        SyncRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_events",
        verbose_name=_("refresh run"),
    )
    attempts = models.PositiveSmallIntegerField(_("refresh attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Notion webhook event")
        verbose_name_plural = _("Notion webhook events")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"], name="integr_event_kind_status")]

    def __str__(self) -> str:
        return f"{self.type} {self.entity_id}"


class NotionWebhookHandshake(models.Model):
    """The body Notion POSTs once when a webhook subscription is created. Anyone can send
    such a body, so it never becomes the key by itself: a superuser confirms it in the
    admin (or NOTION_WEBHOOK_VERIFICATION_TOKEN is set, and wins)."""

    token = models.CharField(_("verification token"), max_length=200, unique=True)
    received_at = models.DateTimeField(_("received at"))
    remote_addr = models.CharField(_("sent from"), max_length=64, blank=True, default="")
    forwarded_for = models.CharField(
        _("forwarded for"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("X-Forwarded-For as the proxy passed it (the client may have forged it)."),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )

    class Meta:
        verbose_name = _("Notion webhook handshake")
        verbose_name_plural = _("Notion webhook handshakes")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.token[:10]}…"


class WebhookTally(models.Model):
    """Counters of deliveries that leave no event behind: refused (bad or missing
    signature, no key) and duplicates."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    count = models.PositiveBigIntegerField(_("count"), default=0)
    last_at = models.DateTimeField(_("last at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook counter")
        verbose_name_plural = _("webhook counters")

    def __str__(self) -> str:
        return f"{self.name}: {self.count}"


class WebhookRefreshTicket(models.Model):
    """At most one queued "refresh after the events are quiet" task per kind: a burst of
    events asks for one. `queued_at` is cleared when the task starts its run; a ticket
    older than a few minutes is taken for lost (the worker died) and queued again."""

    kind = models.CharField(_("kind"), max_length=50, primary_key=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook refresh ticket")
        verbose_name_plural = _("webhook refresh tickets")

    def __str__(self) -> str:
        return self.kind
