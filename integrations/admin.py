"""Sync history in Django admin: read-only, with a chart, filters and "run again".

Runs are never added, edited or deleted here: a run is a record of what happened. Starting a
run goes through the same service as the bot and the CLI (`sync_runs_create`, trigger
"admin"), so the database lock refuses a second active run of a kind here too.
"""

from __future__ import annotations

import json
import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import DurationField, ExpressionWrapper, F
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.admin_mixins import ReadOnlyAdminMixin
from integrations import services
from integrations.admin_chart import STATUS_COLOURS, build_chart, recent_finished
from integrations.models import SyncRun
from integrations.sync import registry
from integrations.text import format_duration

admin.site.site_header = _("Integrations service")
admin.site.site_title = _("Integrations")
admin.site.index_title = _("Notion data, sync runs and the Telegram bot")

_RUN_ID = re.compile(r"^#?(\d{1,18})$")


def kind_label(name: str) -> str:
    try:
        return str(registry.get(name).label)
    except registry.UnknownSyncKind:
        return name


def registry_order(name: str) -> tuple[int, str]:
    try:
        return (registry.get(name).order, name)
    except registry.UnknownSyncKind:
        return (10**6, name)


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        known = {kind.name: kind.label for kind in registry.kinds()}
        for name in SyncRun.objects.order_by().values_list("kind", flat=True).distinct():
            known.setdefault(name, name)  # kinds that were removed keep their history
        return list(known.items())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "run_id",
        "kind_display",
        "status_badge",
        "who",
        "started",
        "duration_display",
        "fetched",
        "created",
        "updated",
        "deactivated",
        "skipped",
        "warnings_count",
    )
    list_display_links = ("run_id", "kind_display")
    list_filter = (
        KindFilter,
        "status",
        "trigger",
        "mode",
        ("queued_at", admin.DateFieldListFilter),
        "dry_run",
    )
    date_hierarchy = "queued_at"
    search_fields = ("kind", "error", "triggered_by__full_name", "triggered_by__telegram_username")
    search_help_text = _("Run number (#12), kind, error text, or who started it.")
    list_select_related = ("triggered_by",)
    list_per_page = 50
    actions = ("run_again",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind_display",
                    "status_badge",
                    "who",
                    "mode",
                    "dry_run",
                    "allow_mass_deactivation",
                    "params_display",
                )
            },
        ),
        (_("Outcome"), {"fields": ("summary_display", "error_display", "warnings_display")}),
        (
            _("Counts"),
            {
                "fields": (
                    "fetched",
                    "created",
                    "updated",
                    "unchanged",
                    "deactivated",
                    "skipped",
                    "notion_requests",
                )
            },
        ),
        (
            _("Time"),
            {
                "fields": (
                    "queued_at",
                    "claimed_at",
                    "claimed_by",
                    "started_at",
                    "finished_at",
                    "duration_display",
                    "heartbeat_at",
                    "phase",
                )
            },
        ),
        (
            _("Telegram"),
            {"classes": ("collapse",), "fields": ("chat_id", "message_id", "end_notified_at")},
        ),
    )
    readonly_fields = (
        "kind_display",
        "status_badge",
        "who",
        "error_display",
        "warnings_display",
        "duration_display",
        "params_display",
        "summary_display",
    )

    class Media:
        css = {"all": ("integrations/admin.css",)}

    def has_run_permission(self, request: HttpRequest) -> bool:
        """Starting runs is "add sync run": give it to staff who may order syncs."""
        return request.user.has_perm("integrations.add_syncrun")

    # -- columns ---------------------------------------------------------------------------
    @admin.display(description="#", ordering="id")
    def run_id(self, run: SyncRun) -> str:
        return f"#{run.pk}"

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, run: SyncRun) -> str:
        return kind_label(run.kind)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, run: SyncRun) -> str:
        text = run.get_status_display()
        if run.status == SyncRun.Status.RUNNING and run.fetched:
            text = gettext("%(status)s · %(fetched)s fetched") % {
                "status": text,
                "fetched": run.fetched,
            }
        if run.dry_run:
            text = gettext("%(status)s (dry run)") % {"status": text}
        return format_html(
            '<span class="syncrun-badge syncrun-{}" style="background:{}">{}</span>',
            run.status,
            STATUS_COLOURS.get(run.status, "#64748b"),
            text,
        )

    @admin.display(description=_("started by"), ordering="triggered_by__full_name")
    def who(self, run: SyncRun) -> str:
        """The member who asked (Telegram), else where it came from (schedule, CLI, admin)."""
        if run.triggered_by_id:
            url = reverse("admin:people_human_change", args=[run.triggered_by_id])
            return format_html(
                '<a href="{}">{}</a> <small>({})</small>',
                url,
                run.triggered_by,
                run.get_trigger_display(),
            )
        return run.get_trigger_display()

    @admin.display(description=_("started"), ordering="queued_at")
    def started(self, run: SyncRun) -> str:
        moment = timezone.localtime(run.started_at or run.queued_at)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")

    @admin.display(
        description=_("duration"),
        ordering=ExpressionWrapper(
            F("finished_at") - F("started_at"), output_field=DurationField()
        ),
    )
    def duration_display(self, run: SyncRun) -> str:
        if run.duration is not None:
            return format_duration(run.duration)
        if run.status == SyncRun.Status.RUNNING and run.started_at:
            return gettext("%(duration)s so far") % {
                "duration": format_duration(timezone.now() - run.started_at)
            }
        return "—"

    @admin.display(description=_("warnings"))
    def warnings_count(self, run: SyncRun) -> int:
        return len(run.warnings or [])

    @admin.display(description=_("arguments"))
    def params_display(self, run: SyncRun) -> str:
        """What the run was asked for beyond its kind (which list to load), if anything."""
        if not run.params:
            return "—"
        return format_html(
            '<pre class="syncrun-text">{}</pre>',
            json.dumps(run.params, ensure_ascii=False, indent=1),
        )

    @admin.display(description=_("summary"))
    def summary_display(self, run: SyncRun) -> str:
        """The kind's own account of the run (lists: who was found, who is new)."""
        kind = registry.get(run.kind) if run.kind in registry.names() else None
        lines = kind.summarize(run) if kind is not None and kind.summarize is not None else []
        if not lines:
            return "—"
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))

    @admin.display(description=_("error"))
    def error_display(self, run: SyncRun) -> str:
        if not run.error:
            return "—"
        return format_html('<pre class="syncrun-text">{}</pre>', run.error)

    @admin.display(description=_("warnings"))
    def warnings_display(self, run: SyncRun) -> str:
        if not run.warnings:
            return "—"
        items = format_html_join("", "<li>{}</li>", ((w,) for w in run.warnings))
        return format_html('<ol class="syncrun-warnings">{}</ol>', items)

    # -- search: "#12" and "12" find run 12 ------------------------------------------------
    def get_search_results(self, request, queryset, search_term):
        match = _RUN_ID.match(search_term.strip())
        if match:
            return queryset.filter(pk=int(match.group(1))), False
        return super().get_search_results(request, queryset, search_term)

    # -- the chart and the start buttons ---------------------------------------------------
    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context.setdefault("title", gettext("Sync history"))
        if self.has_run_permission(request):
            extra_context["start_kinds"] = [
                {
                    "label": kind_label(name) if name != registry.ALL else gettext("Everything"),
                    "url": reverse("admin:integrations_syncrun_start", args=[name]),
                }
                for name in registry.choices()
            ]
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            # The chart follows the list's filters and search: it shows what the list shows.
            context["chart"] = build_chart(recent_finished(context["cl"].queryset))
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and self.has_run_permission(request):
            extra_context["run_again_url"] = reverse(
                "admin:integrations_syncrun_run_again", args=[object_id]
            )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "start/<str:kind>/",
                wrap(require_POST(self.start_view)),
                name="integrations_syncrun_start",
            ),
            path(
                "<int:object_id>/run-again/",
                wrap(require_POST(self.run_again_view)),
                name="integrations_syncrun_run_again",
            ),
            *super().get_urls(),
        ]

    # -- starting runs -----------------------------------------------------------------------
    def _queue(self, request: HttpRequest, *, kind: str, mode: str, dry_run: bool = False):
        """Queue a run through the shared service; tell the user what happened."""
        try:
            runs = services.sync_runs_create(
                kind=kind, trigger=SyncRun.Trigger.ADMIN, mode=mode, dry_run=dry_run
            )
        except services.SyncAlreadyActive as busy:
            active = busy.run
            self.message_user(
                request,
                format_html(
                    gettext(
                        "Not started: {kind} is already syncing as {link} ({status}, since "
                        "{when}). Wait for it to finish."
                    ),
                    kind=kind_label(active.kind),
                    link=format_html(
                        '<a href="{}">#{}</a>',
                        reverse("admin:integrations_syncrun_change", args=[active.pk]),
                        active.pk,
                    ),
                    status=active.get_status_display(),
                    when=timezone.localtime(active.started_at or active.queued_at).strftime(
                        "%H:%M:%S"
                    ),
                ),
                messages.WARNING,
            )
            return []
        except registry.UnknownSyncKind:
            self.message_user(
                request,
                gettext("There is no sync kind %(kind)s.") % {"kind": kind},
                messages.ERROR,
            )
            return []
        services.sync_runs_enqueue(runs=runs)
        for run in runs:
            self.log_addition(request, run, [{"added": {}}])
        links = format_html_join(
            ", ",
            '<a href="{}">#{}</a> {}',
            (
                (
                    reverse("admin:integrations_syncrun_change", args=[r.pk]),
                    r.pk,
                    kind_label(r.kind),
                )
                for r in runs
            ),
        )
        self.message_user(
            request,
            format_html(
                gettext("Queued {runs}. The worker picks it up in a moment; reload to follow it."),
                runs=links,
            ),
            messages.SUCCESS,
        )
        return runs

    @admin.action(description=_("Run again (same kind and mode)"), permissions=("run",))
    def run_again(self, request, queryset):
        # One new run per kind (the lock allows no more), like the newest selected run of it.
        latest: dict[str, SyncRun] = {}
        for run in queryset.order_by("-queued_at", "-id"):
            latest.setdefault(run.kind, run)
        for run in sorted(latest.values(), key=lambda r: registry_order(r.kind)):
            self._queue(request, kind=run.kind, mode=run.mode, dry_run=run.dry_run)

    def run_again_view(self, request, object_id: int):
        if not self.has_run_permission(request):
            raise PermissionDenied
        run = get_object_or_404(SyncRun, pk=object_id)
        queued = self._queue(request, kind=run.kind, mode=run.mode, dry_run=run.dry_run)
        target = queued[0].pk if queued else run.pk
        return HttpResponseRedirect(reverse("admin:integrations_syncrun_change", args=[target]))

    def start_view(self, request, kind: str):
        if not self.has_run_permission(request):
            raise PermissionDenied
        self._queue(request, kind=kind, mode=SyncRun.Mode.FULL)
        return HttpResponseRedirect(reverse("admin:integrations_syncrun_changelist"))


# The webhook's admin lives in its own module; importing it registers it with this one.
from integrations import admin_webhooks  # noqa: E402, F401
