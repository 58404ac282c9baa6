"""Software overhead per captured vector versus the DMD's own pattern time.

What lsi-rig itself adds per vector — plan bookkeeping, arming, vector formation, flags, the
record write and its flush to the session file — compared with the time the DMD needs to show
the patterns: 128 masks at 4 kHz (250 µs patterns; the DLPC350's fastest 1-bit rate is
4.25 kHz), 32 ms. Goal: ≤ 1 % (≤ 0.3 ms per vector).

Two device sets, side by side in one run:

* ``replay``: devices that answer instantly with recorded samples (what a real rig looks like to
  the CPU: the DAQ read blocks in the driver, it does not compute). This is the overhead figure.
* ``sim``: the simulated rig; the time spent inside device calls (the world's physics) is
  measured and removed, but its memory traffic still slows the code around it, so this figure
  is an upper bound.

    python bench/capture_overhead.py [--records 800]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.replay_devices import replay_rig
from lsi_rig.config import load_rig
from lsi_rig.core.clock import SimClock
from lsi_rig.engine import CapturePlan
from lsi_rig.jobs.capture import capture_session
from lsi_rig.masks import MaskSet
from lsi_rig.scenes import Scene
from lsi_rig.scenes.source import InMemoryScenes

GOAL_MS = 0.3
EXPOSURE_US = 250.0


def _plan(records: int, reference_every: int | None) -> CapturePlan:
    rng = np.random.default_rng(0)
    masks = MaskSet(rng.random((128, 256, 256)) > 0.5, "random128", "bench")
    scenes = [Scene(f"s{i}", rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)) for i in range(4)]
    return CapturePlan(
        scenes=InMemoryScenes(scenes),
        masks=masks,
        exposure_us=EXPOSURE_US,
        reference_every=reference_every,
        repeats=records // len(scenes),
    )


def run(devices: str, records: int, reference_every: int | None) -> dict[str, float]:
    rig_config = load_rig("sim")
    rig = None
    if devices == "replay":
        rig = replay_rig(rig_config, SimClock(), exposure_us=EXPOSURE_US, settle_time_s=0.05)
    plan = _plan(records, reference_every)
    with tempfile.TemporaryDirectory() as tmp:
        result = capture_session(rig_config, plan, Path(tmp) / "bench.h5", rig=rig)
    s = result.summary
    n_patterns = s.timing.n_patterns if s.timing else 128
    pattern_ms = n_patterns * EXPOSURE_US * 1e-3
    overhead_ms = s.overhead_per_record_s * 1e3
    return {
        "patterns": n_patterns,
        "pattern_ms": pattern_ms,
        "overhead_ms": overhead_ms,
        "sink_ms": s.sink_s / s.records_written * 1e3,
        "ratio": overhead_ms / pattern_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=800)
    args = parser.parse_args()
    print("software overhead per vector (engine + vector formation + HDF5 append and flush)")
    print(
        f"{'devices':<8}{'case':<27}{'patterns':>9}{'pattern ms':>12}{'overhead ms':>13}"
        f"{'of which write':>16}{'ratio':>8}"
    )
    verdict_ms = 0.0
    for devices in ("replay", "sim"):
        for label, refs in (("128 masks", None), ("128 masks + refs every 32", 32)):
            r = run(devices, args.records, refs)
            if devices == "replay":
                verdict_ms = max(verdict_ms, r["overhead_ms"])
            print(
                f"{devices:<8}{label:<27}{r['patterns']:>9}{r['pattern_ms']:>12.2f}"
                f"{r['overhead_ms']:>13.3f}{r['sink_ms']:>16.3f}{r['ratio']:>8.2%}"
            )
    verdict = "PASS" if verdict_ms <= GOAL_MS else "FAIL"
    print(
        f"goal: overhead ≤ {GOAL_MS} ms per vector (≤ 1 % of 32 ms), replay devices: {verdict} "
        f"(worst {verdict_ms:.3f} ms); sim rows include the simulation's cache pollution"
    )


if __name__ == "__main__":
    main()
