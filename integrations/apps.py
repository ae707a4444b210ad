from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        # Sync kinds register themselves on import.
        from integrations.sync import registry

        registry.autodiscover()

        from integrations import signals
        from integrations.webhooks import receivers

        signals.sync_run_finished.connect(
            receivers.on_sync_run_finished, dispatch_uid="integrations.webhooks.refresh"
        )
