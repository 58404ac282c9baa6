"""Every error policy on the emulated rig (real DLPC350 / NI-DAQmx / serial drivers against the
protocol emulators) with faults injected mid-capture: a device fault never ends `complete`, the
device's one line reaches the job's failure and the session log, committed records are kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lsi_rig.config import load_rig
from lsi_rig.config.load import parse_rig
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.grpc_double import DaqFault
from lsi_rig.dmd.dlpc350.emulator import DmdFault
from lsi_rig.engine.policy import ErrorPolicy, OnExhausted
from lsi_rig.jobs import (
    CaptureJob,
    CaptureRequest,
    JobEvent,
    JobFailed,
    JobState,
    RecordCommitted,
    StateChanged,
    plan_from_config,
)
from lsi_rig.masks import load_masks
from lsi_rig.rig import Rig, build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session

pytestmark = pytest.mark.timeout(180)

FAULT_AFTER = 2  # inject once this many records are committed
N_SCENES = 5


def _config() -> Any:
    data = load_rig("emulated").model_dump(mode="json")
    data["devices"]["dmd"]["usb_timeout_ms"] = 300
    data["devices"]["detector"]["grpc"]["call_timeout_s"] = 1.0
    data["devices"]["sync"]["timeout_s"] = 0.5
    return parse_rig(data, "emulated, short timeouts")


def _run(
    tmp_path: Path,
    inject: Callable[[Rig], None],
    policy: ErrorPolicy,
    *,
    on_pause: Callable[[CaptureJob], None] | None = None,
) -> tuple[CaptureJob, list[JobEvent], Path]:
    config = _config()
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=N_SCENES)),
        masks=load_masks("demo:hadamard16:32"),
    )
    out = tmp_path / "faults.h5"
    events: list[JobEvent] = []
    with build_rig(config) as rig:
        job = CaptureJob(
            CaptureRequest(config, plan, out, policy=policy, health_interval_s=0.0), rig=rig
        )

        def listen(event: JobEvent) -> None:
            events.append(event)
            if isinstance(event, RecordCommitted) and event.index == FAULT_AFTER - 1:
                inject(rig)
            if (
                on_pause is not None
                and isinstance(event, StateChanged)
                and event.new is JobState.PAUSED
            ):
                threading.Thread(target=on_pause, args=(job,)).start()

        job.subscribe(listen)
        job.start()
        result = job.wait(150)
        assert result is not None, "the job did not end"
    return job, events, out


def _failure(events: list[JobEvent]) -> JobFailed:
    (failed,) = [e for e in events if isinstance(e, JobFailed)]
    assert "\n" not in failed.message and not failed.internal
    return failed


def _session(out: Path) -> tuple[str, int, list[str], list[RecordFlags]]:
    with open_session(out) as reader:
        flags = [RecordFlags(int(f)) for f in reader.records_table()["flags"]]
        return str(reader.status), reader.n_records, reader.log_lines(), flags


@pytest.mark.parametrize(
    ("fault", "needle"),
    [(DmdFault.DISCONNECT, "disconnected"), (DmdFault.VIDEO_UNLOCK, "not locked")],
)
def test_dmd_faults_fail_the_run_and_flag_the_record(
    tmp_path: Path, fault: DmdFault, needle: str
) -> None:
    job, events, out = _run(
        tmp_path,
        lambda rig: rig.emulators["dlpc350_usb"].inject(fault),
        ErrorPolicy(),
    )
    assert job.state is JobState.FAILED
    failed = _failure(events)
    assert "DLPC350" in failed.message and needle in failed.message
    status, n, log, flags = _session(out)
    assert status == "failed" and n >= FAULT_AFTER
    assert all(not f & RecordFlags.DEVICE_WARNING for f in flags[: FAULT_AFTER - 1])
    assert any(needle in line for line in log)


def test_usb_silence_fails_the_run(tmp_path: Path) -> None:
    job, events, out = _run(
        tmp_path, lambda rig: rig.emulators["dlpc350_usb"].inject(DmdFault.SILENCE), ErrorPolicy()
    )
    assert job.state is JobState.FAILED
    assert "no answer" in _failure(events).message
    assert _session(out)[0] == "failed"


def test_daq_server_killed_is_fatal_without_retries(tmp_path: Path) -> None:
    job, events, out = _run(
        tmp_path, lambda rig: rig.emulators["daq_grpc"].kill(), ErrorPolicy(retries=5)
    )
    assert job.state is JobState.FAILED
    assert "unreachable" in _failure(events).message
    status, n, _, _ = _session(out)
    assert status == "failed" and n == FAULT_AFTER
    assert isinstance(job.result and job.result.error, str)
    assert not [line for line in _session(out)[2] if "retry" in line]


def test_a_one_off_daq_timeout_is_retried_and_the_capture_completes(tmp_path: Path) -> None:
    job, _, out = _run(
        tmp_path,
        lambda rig: rig.emulators["daq_grpc"].inject(DaqFault.TIMEOUT, after_samples=0),
        ErrorPolicy(retries=2),
    )
    assert job.result is not None and job.result.status == "complete"
    assert job.result.summary is not None and job.result.summary.retries >= 1
    status, n, log, flags = _session(out)
    assert status == "complete" and n == N_SCENES
    assert any("retry 1 of 2" in line for line in log)
    assert not any(f & RecordFlags.PARTIAL_READ for f in flags)


def test_exhausted_retries_fail_with_the_device_error(tmp_path: Path) -> None:
    job, events, out = _run(
        tmp_path,
        lambda rig: rig.emulators["daq_grpc"].inject(DaqFault.TIMEOUT, after_samples=0),
        ErrorPolicy(retries=0, on_exhausted=OnExhausted.FAIL),
    )
    assert job.state is JobState.FAILED
    assert "after 1 attempts" in _failure(events).message
    assert _session(out)[:2] == ("failed", FAULT_AFTER)


def test_exhausted_retries_skip_the_record(tmp_path: Path) -> None:
    job, _, out = _run(
        tmp_path,
        lambda rig: rig.emulators["daq_grpc"].inject(DaqFault.TIMEOUT, after_samples=0),
        ErrorPolicy(retries=0, on_exhausted=OnExhausted.SKIP),
    )
    assert job.result is not None and job.result.summary is not None
    assert job.result.summary.skipped == [(FAULT_AFTER, 0)]
    status, n, log, _ = _session(out)
    assert status == "interrupted" and n == N_SCENES - 1
    assert any("skipped" in line for line in log)


def test_exhausted_retries_pause_for_the_operator(tmp_path: Path) -> None:
    def operator(job: CaptureJob) -> None:
        assert job.state is JobState.PAUSED
        job.resume()

    job, events, out = _run(
        tmp_path,
        lambda rig: rig.emulators["daq_grpc"].inject(DaqFault.TIMEOUT, after_samples=0),
        ErrorPolicy(retries=0, on_exhausted=OnExhausted.PAUSE),
        on_pause=operator,
    )
    pause = [e for e in events if isinstance(e, StateChanged) and e.new is JobState.PAUSED]
    assert len(pause) == 1 and "timed out" in pause[0].reason
    assert job.result is not None and job.result.status == "complete"
    assert _session(out)[:2] == ("complete", N_SCENES)
