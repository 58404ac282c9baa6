"""Session-file append speed: committed per-record appends and bulk appends.

Run: ``python bench/storage_append.py [--records 3000] [--bulk 50000] [--dir /tmp]``.
Goals: >= 2,000 records/s with a commit (flush) after every record, >= 50,000 records/s in
bulk (``append_arrays`` / ``append_many``). A realistic record: 256 masks with dark/bright
reference pairs every 16 masks (samples_v 290, raw_v/vector_v 256, dark_v/bright_v 17).

Reusable: ``measure_append(path, n_records, mode=...)`` returns an :class:`AppendResult`; the
engine bench can call it to subtract storage cost from its own loop.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsi_rig.core.flags import RecordFlags
from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import SessionMetadata, SessionWriter

GOAL_RECORD_PER_S = 2_000.0
GOAL_BULK_PER_S = 50_000.0
MODES = ("record", "many", "arrays")


@dataclass(frozen=True)
class AppendResult:
    mode: str
    n_records: int
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time (less sensitive to a busy machine)

    @property
    def per_s(self) -> float:
        return self.n_records / self.seconds

    @property
    def ms_per_record(self) -> float:
        return 1e3 * self.seconds / self.n_records


def bench_metadata(n: int = 256, reference_every: int = 16, n_scenes: int = 100) -> SessionMetadata:
    """A realistic session: n random 16x16 masks, references every ``reference_every``."""
    bits = np.random.default_rng(0).random((n, 16, 16)) < 0.5
    masks = MaskSet(bits, name=f"bench{n}", source="bench:random")
    seq = PatternSequence.build(
        masks, exposure_us=100.0, period_us=120.0, reference_every=reference_every
    )
    scenes = [SceneInfo(f"s{i:05d}", "", f"{i:064x}", 256, 256) for i in range(n_scenes)]
    return SessionMetadata("bench", "rig: {}\n", {"dmd": {"backend": "sim"}}, masks, seq, scenes)


def bench_columns(metadata: SessionMetadata, m: int) -> dict[str, np.ndarray]:
    """``m`` records as bulk columns (random volts, plausible scalars)."""
    rng = np.random.default_rng(1)
    seq = metadata.sequence
    k = int(np.count_nonzero(seq.kinds == PatternKind.DARK))
    n, p = metadata.masks.n, seq.n_patterns
    t0 = time.time_ns()
    return {
        "scene_index": np.arange(m) % len(metadata.scenes),
        "repeat_index": np.arange(m) // len(metadata.scenes),
        "t_start_ns": t0 + np.arange(m, dtype=np.int64) * 40_000_000,
        "t_end_ns": t0 + np.arange(m, dtype=np.int64) * 40_000_000 + 35_000_000,
        "samples_v": rng.random((m, p), dtype=np.float32),
        "raw_v": rng.random((m, n), dtype=np.float32),
        "vector_v": rng.random((m, n), dtype=np.float32),
        "dark_v": rng.random((m, k), dtype=np.float32),
        "bright_v": rng.random((m, k), dtype=np.float32),
        "gain_db": np.full(m, 30.0),
        "range_v": np.full(m, 5.0),
        "n_averaged": np.ones(m, dtype=np.int32),
        "flags": np.zeros(m, dtype=np.uint32),
    }


def bench_records(metadata: SessionMetadata, m: int) -> list:
    from lsi_rig.core.records import MeasurementRecord

    cols = bench_columns(metadata, m)
    seq = metadata.sequence
    return [
        MeasurementRecord(
            scene_index=int(cols["scene_index"][i]),
            repeat_index=int(cols["repeat_index"][i]),
            t_start_ns=int(cols["t_start_ns"][i]),
            t_end_ns=int(cols["t_end_ns"][i]),
            samples_v=cols["samples_v"][i],
            raw_v=cols["raw_v"][i],
            vector_v=cols["vector_v"][i],
            dark_v=cols["dark_v"][i],
            bright_v=cols["bright_v"][i],
            exposure_us=seq.exposure_us,
            period_us=seq.period_us,
            gain_db=30.0,
            range_v=5.0,
            n_averaged=1,
            flags=RecordFlags.NONE,
        )
        for i in range(m)
    ]


def measure_append(
    path: str | Path,
    n_records: int,
    *,
    mode: str = "record",
    batch: int = 5_000,
    metadata: SessionMetadata | None = None,
) -> AppendResult:
    """Time appending ``n_records`` to a new file: ``record`` (append + commit each),
    ``many`` (append_many in batches) or ``arrays`` (append_arrays in batches).
    Data preparation is outside the timed region; closing the file is inside."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: choose one of {MODES}")
    metadata = metadata or bench_metadata()
    records = bench_records(metadata, n_records) if mode != "arrays" else []
    cols = bench_columns(metadata, n_records) if mode == "arrays" else {}
    writer = SessionWriter(path, metadata, overwrite=True)
    cpu = time.process_time()
    t = time.perf_counter()
    if mode == "record":
        for record in records:
            writer.append(record)
    elif mode == "many":
        for start in range(0, n_records, batch):
            writer.append_many(records[start : start + batch])
    else:
        for start in range(0, n_records, batch):
            writer.append_arrays(**{k: v[start : start + batch] for k, v in cols.items()})
    writer.close()
    wall = time.perf_counter() - t
    return AppendResult(mode, n_records, wall, time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=3_000, help="records for per-record mode")
    ap.add_argument("--bulk", type=int, default=50_000, help="records for bulk modes")
    ap.add_argument("--dir", type=Path, default=None, help="folder for the files (default tmp)")
    args = ap.parse_args(argv)
    md = bench_metadata()
    k = int(np.count_nonzero(md.sequence.kinds == PatternKind.DARK))
    print(
        f"record: samples_v {md.sequence.n_patterns}, raw_v/vector_v {md.masks.n}, "
        f"dark_v/bright_v {k} float32"
    )
    ok = True
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for mode, n, goal in (
            ("record", args.records, GOAL_RECORD_PER_S),
            ("many", args.bulk, GOAL_BULK_PER_S),
            ("arrays", args.bulk, GOAL_BULK_PER_S),
        ):
            res = measure_append(Path(tmp) / f"{mode}.h5", n, mode=mode, metadata=md)
            passed = res.per_s >= goal
            ok &= passed
            print(
                f"{mode:>7}: {res.n_records} records in {res.seconds:.3f} s = "
                f"{res.per_s:,.0f}/s, {res.ms_per_record:.4f} ms/record "
                f"(CPU {res.n_records / res.cpu_seconds:,.0f}/s); goal {goal:,.0f}/s "
                f"(x{res.per_s / goal:.2f}) {'PASS' if passed else 'FAIL'}"
            )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
