"""The logging filter that redacts secrets: it redacts, and it never breaks the caller."""

from __future__ import annotations

import io
import logging

import pytest

from config.log_filters import RedactSecrets

TOKEN = "123456789:AAF-secret-part-of-the-token"


@pytest.fixture
def redacting_logger():
    """A logger whose only handler redacts TOKEN, and what it wrote."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("tests.redacting")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_the_token_is_redacted(redacting_logger):
    logger, stream = redacting_logger

    logger.warning("GET https://api.telegram.org/bot%s/getMe", TOKEN)

    assert TOKEN not in stream.getvalue()
    assert "[redacted]" in stream.getvalue()


def test_a_malformed_log_call_does_not_raise_into_the_caller(redacting_logger):
    logger, stream = redacting_logger

    logger.warning("two placeholders %s %s, one argument", TOKEN)  # must not raise
    logger.warning("next line %s", TOKEN)

    assert "next line [redacted]" in stream.getvalue()
    assert "two placeholders" in stream.getvalue()
    assert TOKEN not in stream.getvalue()
