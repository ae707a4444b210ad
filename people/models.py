from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Human(models.Model):
    """A member of the organisation, copied from the Notion Humans database.

    Notion is the source of truth for every field but `telegram_user_id`, which the bot
    binds on the member's first successful authorisation by username (and the sync clears
    when the handle changes, or when a Telegram id written in Notion differs from it).
    `notion_telegram_user_id` (optional, from Notion) outranks both the username and the
    binding.
    """

    notion_page_id = models.CharField(_("Notion page id"), max_length=36, unique=True)
    full_name = models.CharField(_("full name"), max_length=300)
    telegram_username = models.CharField(  # noqa: DJ001 - NULL means "no handle"
        _("Telegram username"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("Lowercase, without @."),
    )
    telegram_user_id = models.BigIntegerField(_("Telegram user id"), null=True, blank=True)
    notion_telegram_user_id = models.BigIntegerField(
        _("Telegram id in Notion"),
        null=True,
        blank=True,
        help_text=_(
            "From the optional Notion property mapped as telegram_id: trusted before the username."
        ),
    )
    email = models.CharField(_("email"), max_length=320, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=64, blank=True, default="")
    status = models.CharField(_("status"), max_length=200, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    notion_last_edited_time = models.DateTimeField(_("edited in Notion"), null=True, blank=True)
    #: the page's `created_time`: its quantiles split a full sync into even windows
    notion_created_time = models.DateTimeField(_("created in Notion"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("human")
        verbose_name_plural = _("humans")
        ordering = ["full_name"]
        indexes = [
            models.Index(Lower("telegram_username"), name="human_tg_username_idx"),
            models.Index(fields=["telegram_user_id"], name="human_tg_user_id_idx"),
            models.Index(fields=["notion_telegram_user_id"], name="human_notion_tg_id_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.notion_page_id

    @property
    def notion_url(self) -> str:
        return f"https://www.notion.so/{self.notion_page_id.replace('-', '')}"
