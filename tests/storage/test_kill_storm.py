"""Acceptance test: SIGKILL a capture at random moments; every committed record survives."""

from __future__ import annotations

import random
import time

import pytest

from lsi_rig.storage import RunStatus, open_session
from tests.storage.proc import WriterProcess
from tests.storage.sample_data import assert_record_equal, make_metadata, make_record

N_RECORDS = 200
N_KILLS = 20
CHILD_RECORDS = N_RECORDS + 50  # the child keeps appending while the parent decides to kill


def _check_killed_file(path, reported: int) -> int:
    metadata = make_metadata()
    with open_session(path) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        n = reader.n_records
        assert reported <= n <= CHILD_RECORDS, f"{path.name}: reported {reported}, file has {n}"
        table = reader.records_table()
        assert table.shape == (n,)
        for i in range(n):
            assert_record_equal(reader.record(i), make_record(i, metadata), f"{path.name} #{i}")
        assert reader.masks().sha256 == metadata.masks.sha256
        assert any("created" in line for line in reader.log_lines())
        return n


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_storm_keeps_every_committed_record(tmp_path):
    rng = random.Random(20240611)
    committed = []
    for trial in range(N_KILLS):
        path = tmp_path / f"kill_{trial:02d}.h5"
        pace_ms = 0.5 if trial % 2 else 0.0  # odd: steady pace; even: back-to-back appends
        kill_after = rng.randrange(-1, N_RECORDS - 1)  # -1: before the first record
        child = WriterProcess(path, CHILD_RECORDS, pace_ms)
        try:
            child.wait_for("ready")
            reported = 0
            while reported <= kill_after:
                line = child.next_line()
                assert line is not None and line.isdigit(), f"unexpected {line!r}"
                reported = int(line) + 1
            time.sleep(rng.uniform(0.0, 0.002))  # land inside an append about half the time
        finally:
            child.kill()
        committed.append(_check_killed_file(path, reported))
        assert not list(tmp_path.glob(f".{path.name}.partial-*"))
    assert len(committed) == N_KILLS
