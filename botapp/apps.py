from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotappConfig(AppConfig):
    name = "botapp"
    verbose_name = _("Telegram bot")
