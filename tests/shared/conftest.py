"""The services over a fresh local folder, on a clock that moves only when a test moves it."""

from __future__ import annotations

import pytest

from shared.services import Services
from shared.storage import LocalStorage
from tests.clocks import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(local_storage: LocalStorage, clock: FakeClock) -> Services:
    return Services(local_storage, clock=clock)
