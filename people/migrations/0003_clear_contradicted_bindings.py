"""Bindings made before the sync cleared the ones a Notion id contradicts: clear them too,
so removing the id from Notion later cannot bring the wrong account back."""

from django.db import migrations
from django.db.models import F


def clear_contradicted_bindings(apps, schema_editor):
    Human = apps.get_model("people", "Human")
    Human.objects.filter(
        notion_telegram_user_id__isnull=False, telegram_user_id__isnull=False
    ).exclude(telegram_user_id=F("notion_telegram_user_id")).update(telegram_user_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_human_notion_telegram_user_id"),
    ]

    operations = [
        migrations.RunPython(clear_contradicted_bindings, migrations.RunPython.noop),
    ]
