"""Shared fixtures: imported into the test suite's conftest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.botapi import FakeBotApi

TEST_BOT_TOKEN = "123456:TEST-token"


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    """A started local Bot API server expecting TEST_BOT_TOKEN; stopped after the test."""
    with FakeBotApi(TEST_BOT_TOKEN) as server:
        yield server
