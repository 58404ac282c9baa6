"""A reader follows a writer in another process (SWMR), and a killed writer's file stays good."""

from __future__ import annotations

import time

from lsi_rig.storage import RunStatus, open_session
from tests.storage.proc import WriterProcess
from tests.storage.sample_data import assert_record_equal, make_metadata, make_record

N = 40


def test_reader_follows_live_writer_in_other_process(tmp_path):
    md = make_metadata()
    path = tmp_path / "live.h5"
    child = WriterProcess(path, N, pace_ms=20.0, close=True)
    try:
        child.wait_for("ready")
        seen = 0
        running_seen_with_records = False
        with open_session(path) as reader:
            deadline = time.monotonic() + 60
            while seen < N and time.monotonic() < deadline:
                n = reader.refresh()
                assert n >= seen  # the committed count never goes back
                for i in range(seen, n):
                    assert_record_equal(reader.record(i), make_record(i, md), f"#{i}")
                if 0 < n < N and reader.status is RunStatus.RUNNING:
                    running_seen_with_records = True
                seen = n
                time.sleep(0.005)
            assert seen == N
            assert running_seen_with_records
            child.wait_for("done")
            assert child.wait() == 0
            assert reader.status is RunStatus.COMPLETE
            assert reader.vectors("raw").shape == (N, 16)
            assert reader.log_lines()[-1].endswith(f"session closed: complete, {N} records")
    finally:
        child.kill()
    with open_session(path) as reader:  # reopened after the writer finished
        assert reader.n_records == N and reader.status is RunStatus.COMPLETE


def test_sigkill_after_records_reads_interrupted(tmp_path):
    md = make_metadata()
    path = tmp_path / "killed.h5"
    child = WriterProcess(path, 5, pace_ms=0.0)
    try:
        child.wait_for("done")  # all 5 committed; the writer is left open
        with open_session(path) as reader:
            assert reader.status is RunStatus.RUNNING
    finally:
        child.kill()
    with open_session(path) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        assert reader.n_records == 5
        for i in range(5):
            assert_record_equal(reader.record(i), make_record(i, md))
        assert reader.summary()["status"] == "interrupted"
