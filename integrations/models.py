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

    class Mode(models.TextChoices):
        FULL = "full", _("full")
        INCREMENTAL = "incremental", _("incremental")

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
        help_text=_("The executing process, as host:pid."),
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
