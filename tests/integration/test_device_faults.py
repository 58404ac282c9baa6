"""Device faults mid-capture are reported (issue 7 §6, device side): a DMD disconnect, USB silence
or HDMI video unlock, a killed or silent DAQ server, a DAQmx error mid-read and a vanished sync
port each surface, within bounded time, as one DeviceError line naming the device — from
``Dmd.status()`` (which the engine polls between records) or the next driver call. Never a hang,
never an exception outside the LsiRigError family."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lsi_rig.config import load_rig
from lsi_rig.config.load import parse_rig
from lsi_rig.core.errors import DeviceError, DeviceNotFoundError, DeviceTimeoutError, LsiRigError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.grpc_double import DaqFault
from lsi_rig.dmd.dlpc350.emulator import DmdFault
from lsi_rig.engine import AcquisitionEngine, Progress
from lsi_rig.engine.policy import ErrorPolicy, OnExhausted
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import Rig, build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.sync.wire import SyncDisconnectedError

pytestmark = pytest.mark.timeout(120)

#: Every fault must surface well within this (USB 300 ms, gRPC deadline 1 s, serial 0.5 s).
BOUND_S = 15.0
FAULT_AT_RECORD = 2


def _config() -> Any:
    data = load_rig("emulated").model_dump(mode="json")
    data["devices"]["dmd"]["usb_timeout_ms"] = 300
    data["devices"]["detector"]["grpc"]["call_timeout_s"] = 1.0
    data["devices"]["sync"]["timeout_s"] = 0.5
    return parse_rig(data, "emulated, short timeouts")


class _Sink:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def append(self, record: Any) -> int:
        self.records.append(record)
        return len(self.records) - 1


def _capture_with_fault(
    inject: Callable[[Rig], None],
    *,
    poll_status: bool = True,
    scenes: int = 6,
    retries: int = 0,
) -> tuple[BaseException | None, list[Any], float]:
    """Capture on the emulated rig; after record ``FAULT_AT_RECORD`` inject the fault. Like
    the engine's error policy will, poll ``dmd.status().check()`` after every record."""
    config = _config()
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=scenes)),
        masks=load_masks("demo:hadamard16:32"),
    )
    sink = _Sink()
    with build_rig(config) as rig:

        def on_progress(progress: Progress) -> None:
            if progress.records_done == FAULT_AT_RECORD:
                inject(rig)
            if poll_status and progress.records_done >= 1:
                rig.dmd.status().check()

        engine = AcquisitionEngine(
            rig,
            on_progress=on_progress,
            policy=ErrorPolicy(retries=retries, on_exhausted=OnExhausted.FAIL),
            health_interval_s=float("inf"),  # this test polls by itself (or not at all)
        )
        t0 = time.monotonic()
        error: BaseException | None = None
        try:
            engine.run(plan, sink)
        except BaseException as exc:
            error = exc
        elapsed = time.monotonic() - t0
    return error, sink.records, elapsed


def _one_line(error: BaseException | None, cls: type[BaseException], *needles: str) -> str:
    assert isinstance(error, LsiRigError) and isinstance(error, cls), repr(error)
    message = str(error)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message
    return message


class TestDmdFaults:
    def test_disconnect(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["dlpc350_usb"].inject(DmdFault.DISCONNECT)
        )
        _one_line(error, DeviceError, "DLPC350 (LightCrafter 4500", "disconnected")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S

    def test_usb_silence(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["dlpc350_usb"].inject(DmdFault.SILENCE)
        )
        _one_line(error, DeviceTimeoutError, "DLPC350", "no answer within 300 ms")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S

    def test_video_unlock_seen_by_status(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["dlpc350_usb"].inject(DmdFault.VIDEO_UNLOCK)
        )
        _one_line(error, DeviceError, "DLPC350 (LightCrafter 4500)", "video signal not locked")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S

    def test_video_unlock_mid_pass_stops_the_patterns(self) -> None:
        """Without a status poll, the next read finds no patterns: the DAQ times out."""
        seq_s = 2 / 60  # 34 patterns: two 60 Hz frames per pass
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["dlpc350_usb"].inject(
                DmdFault.VIDEO_UNLOCK, after_s=0.5 * seq_s
            ),
            poll_status=False,
        )
        _one_line(error, DeviceTimeoutError, "NI DAQ Dev1", "read timed out")
        assert FAULT_AT_RECORD <= len(records) <= FAULT_AT_RECORD + 1 and elapsed < BOUND_S


class TestDaqFaults:
    def test_server_killed(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["daq_grpc"].kill(), poll_status=False
        )
        _one_line(error, DeviceNotFoundError, "NI gRPC Device Server", "unreachable")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S

    def test_server_silent(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["daq_grpc"].inject(DaqFault.SILENT), poll_status=False
        )
        _one_line(error, DeviceTimeoutError, "NI gRPC Device Server", "did not answer in time")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S

    def test_daqmx_error_mid_read_keeps_what_arrived(self) -> None:
        """Reads go in 20 ms chunks (29 samples of 36): the failed second one loses its 7. The
        reading keeps what arrived, flagged; the engine's policy then measures the record again
        (a partial read is transient), so the session holds six clean records."""
        readings: list[Any] = []

        def inject(rig: Rig) -> None:
            read = rig.detector.read

            def spy() -> Any:
                reading = read()
                readings.append(reading)
                return reading

            rig.detector.read = spy  # type: ignore[method-assign]
            rig.emulators["daq_grpc"].inject(DaqFault.OVERWRITE, after_samples=32)

        error, records, _ = _capture_with_fault(inject, poll_status=False, retries=1)
        assert error is None and len(records) == 6
        partial = readings[0]
        assert partial.flags & RecordFlags.PARTIAL_READ
        finite = np.isfinite(partial.samples_v)
        assert finite[:29].all() and not finite[29:].any()
        assert not any(r.flags & RecordFlags.PARTIAL_READ for r in records)

    def test_daqmx_error_before_any_sample(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["daq_grpc"].inject(DaqFault.FIFO_OVERFLOW),
            poll_status=False,
        )
        _one_line(error, DeviceError, "NI DAQ Dev1", "FIFO overflowed")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S


class TestSyncFaults:
    def test_port_vanishes(self) -> None:
        error, records, elapsed = _capture_with_fault(
            lambda rig: rig.emulators["sync_pty"].inject("disconnect"), poll_status=False
        )
        _one_line(error, SyncDisconnectedError, "sync controller on", "disconnected")
        assert len(records) == FAULT_AT_RECORD and elapsed < BOUND_S


def test_a_clean_capture_polls_healthy_status() -> None:
    error, records, _ = _capture_with_fault(lambda rig: None)
    assert error is None and len(records) == 6
