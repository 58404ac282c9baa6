"""Fixtures: the NI gRPC double on loopback and NI-DAQmx detectors pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import lsi_rig.config.schema  # noqa: F401  (import order: config before detector.config)
from lsi_rig.detector.config import NidaqmxConfig
from lsi_rig.detector.grpc_double import DaqDoubleHandle, start_server
from lsi_rig.detector.nidaqmx_backend import NidaqmxDetector
from lsi_rig.detector.protocol import AcquisitionRequest
from tests.detector.fakes import FakeWorld

VOLTS = np.round(np.linspace(0.1, 1.0, 16), 6)


@pytest.fixture
def fake_world() -> FakeWorld:
    return FakeWorld(VOLTS, period_s=1e-3, exposure_s=1e-3, t_run=0.0005)


@pytest.fixture
def serve() -> Iterator[Callable[..., DaqDoubleHandle]]:
    handles: list[DaqDoubleHandle] = []

    def _start(world: Any, **kwargs: Any) -> DaqDoubleHandle:
        handle = start_server(world, "127.0.0.1:0", **kwargs)
        handles.append(handle)
        return handle

    yield _start
    for h in handles:
        h.close()


@pytest.fixture
def detector_for() -> Iterator[Callable[..., NidaqmxDetector]]:
    made: list[NidaqmxDetector] = []

    def _make(handle: DaqDoubleHandle, world: Any, **cfg: Any) -> NidaqmxDetector:
        config = NidaqmxConfig(grpc={"address": handle.address}, **cfg)
        det = NidaqmxDetector(config, clock=world.clock, grpc_address=handle.address)
        made.append(det)
        return det

    yield _make
    for d in made:
        d.close()


def request_for(n: int, *, period_us: float = 1000.0, timeout_s: float = 0.5, **kw: Any):
    return AcquisitionRequest(
        n_patterns=n,
        exposure_us=kw.pop("exposure_us", period_us),
        period_us=period_us,
        sequence_period_us=kw.pop("sequence_period_us", n * period_us),
        timeout_s=timeout_s,
        **kw,
    )
