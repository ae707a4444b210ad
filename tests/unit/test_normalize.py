import pytest

from people.normalize import normalize_telegram_username


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@Ivan_Petrov", "ivan_petrov"),
        ("ivan_petrov", "ivan_petrov"),
        ("t.me/ivan_petrov", "ivan_petrov"),
        ("https://t.me/Ivan_Petrov", "ivan_petrov"),
        ("http://telegram.me/ivan_petrov/", "ivan_petrov"),
        ("  @IvanPetrov  ", "ivanpetrov"),
        ("tg://resolve?domain=ivan_petrov", "ivan_petrov"),
        ("https://t.me/ivan_petrov?start=1", "ivan_petrov"),
    ],
)
def test_handles_written_every_way_normalise_to_one_username(raw, expected):
    assert normalize_telegram_username(raw) == (expected, True)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_handle_is_none_without_warning(raw):
    assert normalize_telegram_username(raw) == (None, True)


@pytest.mark.parametrize("raw", ["иван", "@a", "not a handle!", "1abcdef", "@" + "a" * 40])
def test_invalid_handle_is_none_and_flagged(raw):
    assert normalize_telegram_username(raw) == (None, False)
