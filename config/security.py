"""Refuse to run a service with a secret key anyone could know.

django-q2 signs its pickled task payloads with SECRET_KEY: with a known key, write access
to the database (the ORM broker's queue) becomes code execution in the worker. The web app
signs sessions and password-reset links with it. So the bot, the worker and the web app do
not start when DEBUG is off and the key is unset, short, or a placeholder we published.
"""

from __future__ import annotations

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

# The code's default (development only) and the one in .env.example.
DEVELOPMENT_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production"
PLACEHOLDER_SECRET_KEYS = frozenset({DEVELOPMENT_SECRET_KEY, "change-me-to-a-long-random-string"})

# `manage.py` commands that are services (they serve, sign or execute queued payloads).
SERVICE_COMMANDS = frozenset({"runbot", "qcluster", "runserver"})


class UnsafeSecretKey(ImproperlyConfigured):
    """The one line to print instead of starting."""


def secret_key_problem(key: str | None, *, debug: bool) -> str | None:
    """Why `key` must not be used (None when it may, or when DEBUG is on)."""
    if debug:
        return None
    key = key or ""
    weak = (
        key in PLACEHOLDER_SECRET_KEYS
        or len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )
    if not weak:
        return None
    return (
        f"SECRET_KEY is unset, shorter than {SECRET_KEY_MIN_LENGTH} characters or a known "
        'placeholder: set a long random one in .env (python3 -c "import secrets; '
        'print(secrets.token_urlsafe(50))"; the bot, the worker and the web app must share '
        "it), or DEBUG=true on a development machine."
    )


def refuse_unsafe_secret_key() -> None:
    """Raise `UnsafeSecretKey` when this installation's key must not be used."""
    from django.conf import settings

    problem = secret_key_problem(settings.SECRET_KEY, debug=settings.DEBUG)
    if problem:
        raise UnsafeSecretKey(problem)


def refuse_unsafe_secret_key_in_command() -> None:
    """For the services' own commands (`runbot`, `qcluster`), however they are started:
    `django-admin` and `python -m django` do not pass through manage.py's check. A
    CommandError, so it is one line on stderr and exit code 2."""
    from django.core.management.base import CommandError

    try:
        refuse_unsafe_secret_key()
    except UnsafeSecretKey as exc:
        raise CommandError(str(exc), returncode=2) from None


def guard_command_line(argv: list[str]) -> str | None:
    """For manage.py: the refusal line when `argv` starts a service with an unsafe key."""
    if len(argv) < 2 or argv[1] not in SERVICE_COMMANDS:
        return None
    try:
        refuse_unsafe_secret_key()
    except UnsafeSecretKey as exc:
        return str(exc)
    return None
