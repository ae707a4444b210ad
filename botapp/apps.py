from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotappConfig(AppConfig):
    name = "botapp"
    verbose_name = _("Telegram bot")

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from botapp import receivers
        from integrations import signals

        signals.sync_run_progress.connect(
            receivers.on_sync_run_progress, dispatch_uid="botapp.sync_run_progress"
        )
        signals.sync_run_finished.connect(
            receivers.on_sync_run_finished, dispatch_uid="botapp.sync_run_finished"
        )
        signals.notion_schema_problems.connect(
            receivers.on_notion_schema_problems, dispatch_uid="botapp.notion_schema_problems"
        )
        post_spawn.connect(receivers.mark_worker_process, dispatch_uid="botapp.worker")
