from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.sheets.links import sheet_url


class PeopleList(models.Model):
    """A Google Sheet (often a Google Forms responses tab) of people: sign-ups, volunteers,
    attendees. Loading it puts its rows in `entries`, each matched to a Human.

    Registered by `import_list` (the CLI or /import_list) inside the load's own transaction,
    so a load that fails or a dry run registers nothing. The tab is found by its id (`gid`)
    when it is renamed; `sheet_title` follows it.
    """

    name = models.CharField(_("name"), max_length=300)
    spreadsheet_id = models.CharField(_("spreadsheet id"), max_length=100)
    sheet_title = models.CharField(_("tab"), max_length=300)
    sheet_id = models.BigIntegerField(
        _("tab id"), null=True, blank=True, help_text=_("The gid in the sheet's link.")
    )
    source_url = models.URLField(_("link"), max_length=500)
    columns = models.JSONField(
        _("columns"),
        default=dict,
        blank=True,
        help_text=_(
            "Which column holds what: field -> header. Detected from the header row at the "
            "first load; an empty value switches a field off."
        ),
    )
    headers = models.JSONField(
        _("headers"), default=list, blank=True, help_text=_("The header row as last read.")
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Active lists are re-imported by every lists run.")
    )
    created_by = models.ForeignKey(
        "people.Human",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people_lists",
        verbose_name=_("added by"),
    )
    last_run = models.ForeignKey(
        "integrations.SyncRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last load"),
        help_text=_("The last run that loaded this list (its report has the counts)."),
    )
    last_loaded_at = models.DateTimeField(_("last loaded at"), null=True, blank=True)
    last_error = models.TextField(
        _("last error"),
        blank=True,
        default="",
        help_text=_("Why the last re-import could not read this list (empty when it could)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("list")
        verbose_name_plural = _("lists")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["spreadsheet_id", "sheet_title"], name="peoplelist_one_per_tab"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sheet_link(self) -> str:
        return sheet_url(self.spreadsheet_id, self.sheet_id)


def new_entries(through: str = "") -> models.Q:
    """Entries that are new people (to add to Notion): not matched, not a conflict of
    members' contacts, not a former member. `through`: the lookup path from another model
    (`"entries__"` from a list)."""
    return models.Q(
        **{f"{through}match": "", f"{through}conflict": "", f"{through}former_member": None}
    )


class ListEntry(models.Model):
    """One person of a list: a row of the sheet (the latest of their submissions), matched
    to an active Human by Telegram handle, then e-mail, then phone. A name alone is never a
    match: `name_match` is a hint (a Human with the same name), nothing more. Not matched
    either, and not new: a row whose contacts are different members' (`conflict`), and a
    former member's (`former_member`)."""

    class Match(models.TextChoices):
        TELEGRAM = "telegram", _("by Telegram")
        EMAIL = "email", _("by e-mail")
        PHONE = "phone", _("by phone")
        NONE = "", _("not found")

    people_list = models.ForeignKey(
        PeopleList, on_delete=models.CASCADE, related_name="entries", verbose_name=_("list")
    )
    row_number = models.PositiveIntegerField(_("row"), help_text=_("The row in the sheet."))
    row_key = models.CharField(
        _("row key"),
        max_length=400,
        help_text=_("Who the row is (their handle, e-mail, phone or name): stable across loads."),
    )
    values = models.JSONField(_("cells"), default=dict, blank=True)
    full_name = models.CharField(_("full name"), max_length=300, blank=True, default="")
    telegram_username = models.CharField(  # noqa: DJ001 - NULL means "no handle"
        _("Telegram username"), max_length=64, null=True, blank=True
    )
    email = models.CharField(_("email"), max_length=320, blank=True, default="")
    phone = models.CharField(
        _("phone"), max_length=64, blank=True, default="", help_text=_("E.164 where it parses.")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    human = models.ForeignKey(
        "people.Human",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="list_entries",
        verbose_name=_("human"),
    )
    match = models.CharField(
        _("matched"), max_length=16, choices=Match.choices, blank=True, default=""
    )
    name_match = models.ForeignKey(
        "people.Human",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("same name as"),
        help_text=_("Not a match: a member with the same name, to check by hand."),
    )
    conflict = models.CharField(
        _("contacts of different members"),
        max_length=600,
        blank=True,
        default="",
        help_text=_("Not a match: the row's contacts are different members' (which ones)."),
    )
    former_member = models.ForeignKey(
        "people.Human",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("former member"),
        help_text=_("Not a match: a Human no longer active in Notion, with this row's contacts."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    #: entries that are new people (`new_entries`)
    NEW = new_entries()

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["people_list", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["people_list", "row_key"], name="listentry_one_per_key"
            ),
        ]
        indexes = [models.Index(fields=["people_list", "match"], name="listentry_match_idx")]

    def __str__(self) -> str:
        return self.full_name or self.telegram_username or self.email or self.phone or self.row_key

    @property
    def sheet_link(self) -> str:
        return sheet_url(
            self.people_list.spreadsheet_id, self.people_list.sheet_id, row=self.row_number
        )
