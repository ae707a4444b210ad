from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.Model):
    """An area of the organisation's work, copied from the Notion Directions database."""

    notion_page_id = models.CharField(_("Notion page id"), max_length=36, unique=True)
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(_("status"), max_length=200, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    notion_last_edited_time = models.DateTimeField(_("edited in Notion"), null=True, blank=True)
    #: the page's `created_time`: its quantiles split a full sync into even windows
    notion_created_time = models.DateTimeField(_("created in Notion"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    members = models.ManyToManyField(
        "people.Human", through="Participation", related_name="directions", blank=True
    )

    class Meta:
        verbose_name = _("direction")
        verbose_name_plural = _("directions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.notion_page_id

    @property
    def notion_url(self) -> str:
        return f"https://www.notion.so/{self.notion_page_id.replace('-', '')}"


class Participation(models.Model):
    """A human's role in a direction: organiser or deputy (from the Notion relations)."""

    class Role(models.TextChoices):
        ORGANIZER = "organizer", _("organiser")
        DEPUTY = "deputy", _("deputy")

    direction = models.ForeignKey(
        Direction,
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("direction"),
    )
    human = models.ForeignKey(
        "people.Human",
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("human"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "human", "role"], name="participation_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.human} — {self.get_role_display()} — {self.direction}"
