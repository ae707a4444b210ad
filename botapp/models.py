from django.db import models
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    """A chat that wants to hear about sync runs it did not start itself (`all` or
    `failures`: one of them per chat), and/or about new Telegram bindings (`access`)."""

    class Scope(models.TextChoices):
        ALL = "all", _("all results")
        FAILURES = "failures", _("failures only")
        ACCESS = "access", _("new Telegram bindings")

    RUN_SCOPES = (Scope.ALL, Scope.FAILURES)

    chat_id = models.BigIntegerField(_("Telegram chat"))
    human = models.ForeignKey(
        "people.Human",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bot_subscriptions",
        verbose_name=_("subscribed by"),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.ALL)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(
        _("why it was switched off"), max_length=200, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["is_active"], name="botapp_sub_active_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["chat_id"],
                condition=models.Q(scope__in=["all", "failures"]),
                name="botapp_sub_one_run_scope_per_chat",
            ),
            models.UniqueConstraint(
                fields=["chat_id"],
                condition=models.Q(scope="access"),
                name="botapp_sub_one_access_per_chat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id} ({self.get_scope_display()})"

    @property
    def is_private_chat(self) -> bool:
        # Telegram private chat ids are the user's id (positive); groups are negative.
        return self.chat_id > 0


class AccessAttempt(models.Model):
    """Somebody the bot does not serve wrote to it; kept for admins to review."""

    class Reason(models.TextChoices):
        UNKNOWN = "unknown", _("not a member")
        INACTIVE = "inactive", _("member who left")
        AMBIGUOUS = "ambiguous", _("handle shared by several members")
        GROUP = "group", _("group chat not allowed")

    telegram_user_id = models.BigIntegerField(_("Telegram user id"), db_index=True)
    username = models.CharField(_("Telegram username"), max_length=64, blank=True, default="")
    full_name = models.CharField(_("name in Telegram"), max_length=300, blank=True, default="")
    chat_id = models.BigIntegerField(_("Telegram chat"), null=True, blank=True, db_index=True)
    text = models.CharField(_("what they wrote"), max_length=500, blank=True, default="")
    reason = models.CharField(
        _("reason"), max_length=16, choices=Reason.choices, default=Reason.UNKNOWN
    )
    answered = models.BooleanField(
        _("answered"),
        default=False,
        help_text=_("Repeated attempts within ten minutes are recorded but not answered."),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("access attempt")
        verbose_name_plural = _("access attempts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        who = f"@{self.username}" if self.username else str(self.telegram_user_id)
        return f"{who} ({self.get_reason_display()})"
