"""Sync kind `humans`: the Notion Humans database -> people.Human."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.notion.properties import text_of
from integrations.notion.schema import TEXT_TYPES
from integrations.sync import registry
from integrations.sync.engine import NotionModelSync, page_label
from people.models import Human
from people.normalize import normalize_telegram_username, telegram_user_id_of


class HumansSync(NotionModelSync):
    model = Human
    database_setting = "NOTION_HUMANS_DATABASE_ID"
    fields_setting = "NOTION_HUMANS_FIELDS"
    rules = {
        "telegram": TEXT_TYPES,
        "email": ("email", *(t for t in TEXT_TYPES if t != "email")),
        "phone": ("phone_number", *(t for t in TEXT_TYPES if t != "phone_number")),
        "status": ("status", "select"),
        "telegram_id": ("number", *TEXT_TYPES),
    }
    base_columns = ("full_name", "is_active")
    field_columns = {
        "telegram": ("telegram_username",),
        "email": ("email",),
        "phone": ("phone",),
        "status": ("status",),
        "telegram_id": ("notion_telegram_user_id",),
    }
    local_columns = ("telegram_user_id",)  # the bot's binding

    def decode(self, page: dict, values: dict[str, Any], title: str) -> dict:
        raw_handle = text_of(values.get("telegram"))
        handle, ok = normalize_telegram_username(raw_handle)
        if not ok:
            self.ctx.warn(
                _("%(page)s: %(value)s is not a Telegram username; left empty.")
                % {"page": page_label(page, title), "value": repr(raw_handle)}
            )
        status = text_of(values.get("status"))
        telegram_id, ok = telegram_user_id_of(values.get("telegram_id"))
        if not ok:
            self.ctx.warn(
                _("%(page)s: %(value)s is not a numeric Telegram id; left empty.")
                % {"page": page_label(page, title), "value": repr(values.get("telegram_id"))}
            )
        return {
            "full_name": title[:300],
            "telegram_username": handle,
            "telegram_user_id": None,
            "notion_telegram_user_id": telegram_id,
            "email": text_of(values.get("email"))[:320],
            "phone": text_of(values.get("phone"))[:64],
            "status": status[:200],
            "is_active": self.is_active_status(status),
        }

    def update_groups(self, old: dict, new: dict) -> tuple[str, ...]:
        """Drop the bot's binding (`telegram_user_id`: None from `decode`) when Notion no
        longer backs it: a changed handle may belong to someone else now (the next message
        re-authorises by the new one), and an id written in Notion that differs names the
        real owner (the bound account was someone else's)."""
        bound = old.get("telegram_user_id")
        if bound is None:
            return ()
        handle_changed = (
            "telegram_username" in old and old["telegram_username"] != new["telegram_username"]
        )
        notion_id = new.get("notion_telegram_user_id") if "notion_telegram_user_id" in old else None
        if handle_changed or (notion_id is not None and notion_id != bound):
            return ("telegram_user_id",)
        return ()


registry.register(
    registry.SyncKind(
        name="humans",
        label=gettext_lazy("Humans"),
        description=gettext_lazy("people from the Humans database"),
        run=HumansSync.execute,
        check=HumansSync.check,
        has_page=HumansSync.has_page,
        settings=(HumansSync.database_setting,),
        order=10,
    )
)
