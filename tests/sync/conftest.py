from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsi_rig.sync.emulator import PtyEmulator, start_pty_emulator
from lsi_rig.sync.serial_backend import SerialSync
from tests.sync.world_stub import StubWorld

TIMEOUT_S = 0.25
"""Short reply deadline so the silence/slow tests stay fast."""


@pytest.fixture
def world() -> StubWorld:
    return StubWorld()


@pytest.fixture
def emulator(world: StubWorld) -> Iterator[PtyEmulator]:
    emu = start_pty_emulator(world)
    yield emu
    emu.close()


@pytest.fixture
def sync(emulator: PtyEmulator) -> Iterator[SerialSync]:
    dev = SerialSync(emulator.port, timeout_s=TIMEOUT_S, query_retries=2)
    yield dev
    dev.close()


def commands(emu: PtyEmulator) -> list[str]:
    """Received request keywords without their tags."""
    return [line.split(" ", 1)[1] for line in emu.received]
