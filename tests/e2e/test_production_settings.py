"""Production settings: `.env.example` passes `check --deploy`, and the web app, the worker
and the bot refuse to start with a secret key anyone could know."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys

import pytest

from tests.e2e.processes import BASE_DIR, free_port

pytestmark = pytest.mark.e2e

ENV_EXAMPLE = BASE_DIR / ".env.example"
CODE_DEFAULT_KEY = "dev-insecure-secret-key-change-me-in-production"


def env_example() -> dict[str, str]:
    """The variables `.env.example` sets (comments and blank lines skipped)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def clean_env(tmp_path, **overrides: str) -> dict[str, str]:
    """This process's environment without settings a developer might have exported."""
    prefixes = ("DJANGO_", "PYTEST", "SECRET_KEY", "DEBUG", "SECURE_", "SESSION_", "CSRF_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'settings.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def real_key() -> str:
    return secrets.token_urlsafe(50)


def test_check_deploy_passes_for_env_example_with_a_real_key(tmp_path):
    env = clean_env(tmp_path, **env_example())
    env["SECRET_KEY"] = real_key()

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_env_example_key_is_a_known_placeholder(tmp_path):
    """Copying `.env.example` without choosing a key must be refused, not trusted."""
    env = clean_env(tmp_path, **env_example())
    result = start(["runbot"], env)

    assert_refused(result)


def start(args: list[str], env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    """Run `manage.py <args>` (or `python -m <module>` for args starting with `-m`); a
    service still running after `timeout` has started: its whole process group is killed
    (qcluster forks workers) and the test fails."""
    command = [sys.executable, *args] if args[0] == "-m" else [sys.executable, "manage.py", *args]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise AssertionError(f"{args} started with an unsafe key:\n{(out + err)[-2000:]}") from None
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def assert_refused(result: subprocess.CompletedProcess) -> None:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if "SECRET_KEY" in line]
    assert lines, output
    # gunicorn frames our line with its own start-up and shutdown lines; ours is one line.
    assert len(output.splitlines()) == 1 or "gunicorn" in output.lower(), output


SERVICES = {
    "bot": ["runbot"],
    "worker": ["qcluster"],
    "web (runserver)": ["runserver", "--noreload", "127.0.0.1:{port}"],
    "web (gunicorn)": ["-m", "gunicorn", "config.wsgi", "--bind", "127.0.0.1:{port}"],
}


@pytest.mark.parametrize("service", list(SERVICES))
def test_services_refuse_the_code_default_key(service, tmp_path):
    port = str(free_port())
    args = [a.replace("{port}", port) for a in SERVICES[service]]
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN="123:TOKEN", DEBUG="false")

    assert_refused(start(args, env))


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "django", "qcluster", "--settings=config.settings"],
        ["-m", "django", "runbot", "--settings=config.settings"],
    ],
    ids=["python -m django qcluster", "python -m django runbot"],
)
def test_services_started_without_manage_py_refuse_the_code_default_key(args, tmp_path):
    """django-admin and `python -m django` do not go through manage.py's check."""
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN="123:TOKEN", DEBUG="false")

    assert_refused(start(args, env))


@pytest.mark.parametrize(
    "key",
    ["", "short-but-random-Zk3q9", CODE_DEFAULT_KEY, "x" * 60],
    ids=["unset", "short", "code default", "one character"],
)
def test_bot_refuses_a_weak_key(key, tmp_path):
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN="123:TOKEN", DEBUG="false")
    if key:
        env["SECRET_KEY"] = key

    assert_refused(start(["runbot"], env))


def test_debug_mode_starts_without_a_key(tmp_path):
    """The demo and a developer's machine: DEBUG=true needs no key (one line still says
    nothing is refused)."""
    env = clean_env(tmp_path, DEBUG="true", TELEGRAM_BOT_TOKEN="")

    result = start(["runbot"], env)

    # It gets past the key check and stops at the next missing setting.
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "SECRET_KEY" not in result.stderr


MALFORMED = {
    "TELEGRAM_GROUP_CHATS": "-100123,my-group",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
    "TELEGRAM_USER_BURST": "ten",
    "NOTION_HUMANS_FIELDS": "telegram",
    "TELEGRAM_STALE_COMMAND_SECONDS": "-1",
}


@pytest.mark.parametrize("variable", list(MALFORMED))
def test_a_malformed_setting_is_one_line_naming_it(variable, tmp_path):
    env = clean_env(tmp_path, DEBUG="true", **{variable: MALFORMED[variable]})

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert len(output.splitlines()) == 1, output
    assert variable in output


def test_gunicorn_shows_a_malformed_setting_in_one_line(tmp_path):
    env = clean_env(tmp_path, DEBUG="true", TELEGRAM_GROUP_CHATS="my-group")
    args = ["-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{free_port()}"]

    result = start(args, env)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert [line for line in output.splitlines() if "TELEGRAM_GROUP_CHATS" in line]
