"""Directions with organisers and deputies, end to end against the emulator."""

from directions.models import Direction, Participation
from integrations.models import SyncRun
from people.models import Human


def members(direction_page_id: str, role: str) -> set[str]:
    return set(
        Participation.objects.filter(
            direction__notion_page_id=direction_page_id, role=role
        ).values_list("human__notion_page_id", flat=True)
    )


def test_sync_all_runs_humans_then_directions(org, sync):
    result = sync("all")

    assert result.code == 0, result.err
    runs = list(SyncRun.objects.order_by("id"))
    assert [r.kind for r in runs] == ["humans", "directions"]
    assert all(r.status == SyncRun.Status.SUCCEEDED for r in runs)
    assert Direction.objects.count() == len(org.direction_ids)


def test_organisers_and_deputies_over_25_are_complete(org, notion, sync):
    sync("all")

    big = org.big_direction_id
    assert len(org.organisers[big]) > 25 and len(org.deputies[big]) > 25
    known = set(Human.objects.values_list("notion_page_id", flat=True))
    assert members(big, "organizer") == {p for p in org.organisers[big] if p in known}
    assert members(big, "deputy") == {p for p in org.deputies[big] if p in known}
    assert notion.request_counts["pages.properties.retrieve"] >= 2


def test_relation_to_a_page_we_do_not_have_is_a_warning(org, sync):
    sync("all")

    run = SyncRun.objects.get(kind="directions")
    name = org.direction_names[org.trashed_relation_direction_id]
    assert any(name in w for w in run.warnings)
    assert run.status == SyncRun.Status.SUCCEEDED


def test_closed_direction_is_inactive(org, sync):
    sync("all")

    assert Direction.objects.get(notion_page_id=org.closed_direction_id).is_active is False


def test_changed_relation_rebuilds_participation(org, notion, sync):
    sync("all")
    direction = next(
        d
        for d in org.direction_ids
        if d not in (org.big_direction_id, org.trashed_relation_direction_id)
    )
    newcomer = (
        Human.objects.filter(is_active=True)
        .exclude(participations__direction__notion_page_id=direction)
        .first()
    )
    notion.update_page(direction, properties={"Organizers": [newcomer.notion_page_id]})

    sync("directions")

    run = SyncRun.objects.filter(kind="directions").latest("id")
    assert members(direction, "organizer") == {newcomer.notion_page_id}
    assert run.updated == 1


def test_second_directions_sync_changes_nothing(org, sync):
    sync("all")
    before = set(Participation.objects.values_list("direction_id", "human_id", "role"))

    sync("directions")

    run = SyncRun.objects.filter(kind="directions").latest("id")
    assert (run.created, run.updated, run.deactivated) == (0, 0, 0)
    assert set(Participation.objects.values_list("direction_id", "human_id", "role")) == before


def test_relations_emptied_at_once_do_not_wipe_participations(org, notion, sync):
    # What Notion answers when the Humans database stops being shared with the integration.
    sync("all")
    before = set(Participation.objects.values_list("direction_id", "human_id", "role"))
    for direction in org.direction_ids:
        notion.update_page(direction, properties={"Organizers": [], "Deputies": []})

    result = sync("directions")

    assert result.code == 1
    assert "--allow-mass-deactivation" in result.err
    assert set(Participation.objects.values_list("direction_id", "human_id", "role")) == before
    assert sync("directions", "--allow-mass-deactivation").code == 0
    assert not Participation.objects.exists()
