"""Ids over usernames: the Telegram id written in Notion wins, first bindings by username
are announced to the "access" subscribers, /whoami says how you were recognised."""

from __future__ import annotations

from botapp.models import AccessAttempt
from people.models import Human


def test_the_telegram_id_in_notion_recognises_its_owner_whatever_the_username(bot, telegram):
    user = telegram.create_user(username="brand_new_handle", first_name="Анна")
    Human.objects.create(
        notion_page_id="p-anna", full_name="Анна Кузнецова", notion_telegram_user_id=user.id
    )

    sent = telegram.send_message(user, "/whoami")
    reply = telegram.wait_for_message(user.id, after=sent["message_id"])

    assert "Анна Кузнецова" in reply.text
    assert "Telegram id written in Notion" in reply.text


def test_a_username_does_not_bind_an_account_notion_says_is_someone_else(
    bot, member_factory, telegram
):
    impostor = member_factory("taken_handle", "Настоящий Владелец")
    owner = telegram.create_user(username="owner_elsewhere", first_name="Владелец")
    Human.objects.filter(telegram_username="taken_handle").update(notion_telegram_user_id=owner.id)

    reply = impostor.say("/whoami")
    bot.wait_idle(telegram)

    assert str(impostor.id) in reply.text
    assert "only for members" in reply.text
    assert Human.objects.get(telegram_username="taken_handle").telegram_user_id is None
    assert AccessAttempt.objects.get().telegram_user_id == impostor.id


def test_a_bound_id_that_notion_contradicts_no_longer_works(bot, member, telegram):
    member.say("/whoami")  # bound by username
    Human.objects.filter(telegram_user_id=member.id).update(notion_telegram_user_id=999_999_999)

    reply = member.say("/whoami")

    assert "only for members" in reply.text


def test_whoami_tells_how_you_were_recognised(bot, member):
    first = member.say("/whoami")
    second = member.say("/whoami")

    assert "by your username @Ivan_Petrov" in first.text
    assert "by your Telegram id, bound when you first wrote" in second.text


def test_a_first_binding_by_username_is_announced_to_access_subscribers(
    bot, member_factory, telegram, worker
):
    watcher = member_factory("access_watcher", "Дежурный Админ")
    reply = watcher.say("/subscribe access")
    assert "bound" in reply.text
    newcomer = member_factory("fresh_face", "Новичок Новиков")

    newcomer.say("/start")
    worker.run_queued()

    told = telegram.wait_for_message(watcher.id, after=reply.message_id)
    assert "@fresh_face" in told.text
    assert str(newcomer.id) in told.text
    assert "Новичок Новиков" in told.text
    newcomer.say("/start")  # already bound: nothing more to announce
    worker.run_queued()
    assert [m for m in watcher.messages() if m.message_id > told.message_id] == []


def test_a_login_that_loses_the_binding_race_is_refused(bot, member, monkeypatch):
    """Between reading "unbound, this handle" and binding, another account (the handle's
    previous owner, writing at the same moment) bound the person: this sender is not them."""
    from botapp import authorization

    recognise = authorization.human_for_telegram
    other_account = 555_000_555

    def meanwhile_bound_elsewhere(**kwargs):
        match = recognise(**kwargs)
        Human.objects.filter(telegram_username="ivan_petrov").update(telegram_user_id=other_account)
        return match

    monkeypatch.setattr(authorization, "human_for_telegram", meanwhile_bound_elsewhere)

    reply = member.say("/whoami")

    assert "only for members" in reply.text
    assert Human.objects.get(telegram_username="ivan_petrov").telegram_user_id == other_account
