"""Software overhead per scene of a batch versus the physical time of the scene.

A batch scene costs, physically, the monitor's settle time plus the measurement passes (here
128 masks with references every 32 at 4 kHz, 50 ms settle: ~85 ms). Everything lsi-rig does on
the acquisition thread outside the device calls — fetching the next CelebA-HQ-sized image
(1024×1024 JPEG, decoded, resized to 256×256 and checked against its hash), record formation,
the HDF5 append and flush, events — is overhead. Goal: ≤ 1 % of the physical time.

The devices replay recorded samples and block for the real pattern time on the rig's clock
(a wall clock: what a real DAQ read does in its driver), so the image prefetching overlaps
with the measurement exactly as on the bench. The physical time is what the rig clock spent
inside device calls. A scene's record is written while the next scene settles: that work is
outside device calls but costs no time as long as the settle wait absorbs it, so the engine
counts the absorbed part as *hidden* (``RunSummary.hidden_s``) and the overhead is wall time −
device time − hidden time. The wall time per scene is printed beside it as the check: wall =
rig clock + hidden + overhead. Two rows: the batch as shipped (images loaded ahead), and the same
capture job fed by the same scene source without prefetching.

    python bench/batch_overhead.py [--scenes 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.replay_devices import replay_rig
from lsi_rig.batch import BatchJob, BatchRequest, BatchSettings, read_manifest_csv
from lsi_rig.batch.scenes import manifest_scene_source
from lsi_rig.config import load_rig
from lsi_rig.core.clock import WallClock
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine import CapturePlan, RunSummary
from lsi_rig.jobs.capture import capture_session
from lsi_rig.masks import MaskSet
from lsi_rig.rig import Rig

GOAL = 0.01
EXPOSURE_US = 250.0
SETTLE_S = 0.05
N_MASKS = 128
REFERENCE_EVERY = 32


def _rig(config: Any) -> Rig:
    return replay_rig(
        config, WallClock(), exposure_us=EXPOSURE_US, settle_time_s=SETTLE_S, offset=0.5, scale=0.1
    )


def _faces(folder: Path, count: int) -> Path:
    """CelebA-HQ-sized JPEGs (1024×1024, smooth content so they compress like photos)."""
    from PIL import Image

    rng = np.random.default_rng(1)
    lines = ["id,path,split"]
    for i in range(count):
        coarse = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        img = Image.fromarray(coarse).resize((1024, 1024), Image.Resampling.BICUBIC)
        stem = f"{i:06d}"
        img.save(folder / f"{stem}.jpg", quality=92)
        lines.append(f"{stem},{stem}.jpg,test")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def _row(label: str, summary: RunSummary, scenes: int, physical_s: float) -> float:
    overhead_s = summary.overhead_s / scenes
    physical = physical_s / scenes
    ratio = overhead_s / physical
    print(
        f"{label:<30}{physical * 1e3:>12.1f}{summary.device_s / scenes * 1e3:>14.1f}"
        f"{overhead_s * 1e3:>13.3f}{summary.sink_s / scenes * 1e3:>9.3f}"
        f"{summary.hidden_s / scenes * 1e3:>10.3f}{ratio:>8.2%}"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=60)
    args = parser.parse_args()
    config = load_rig("sim")
    masks = MaskSet(np.random.default_rng(0).random((N_MASKS, 256, 256)) > 0.5, "bench", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest_path = _faces(folder, args.scenes)
        manifest = read_manifest_csv(manifest_path)
        sequence = PatternSequence.build(
            masks, exposure_us=EXPOSURE_US, reference_every=REFERENCE_EVERY
        )
        physical_s = args.scenes * (SETTLE_S + sequence.n_patterns * EXPOSURE_US * 1e-6)
        settings = BatchSettings(reference_every=REFERENCE_EVERY, exposure_us=EXPOSURE_US)
        request = BatchRequest(
            config, masks, manifest, folder / "batch.h5", settings=settings, write_report=False
        )
        t0 = time.perf_counter()
        job = BatchJob(request, rig=_rig(config))
        job.prepare()
        prepare_s = time.perf_counter() - t0
        result = job.run()
        assert result.job.summary is not None and result.job.status == "complete"
        batch_summary = result.job.summary
        source = manifest_scene_source(list(manifest.entries), size=256)
        plan = CapturePlan(
            scenes=source, masks=masks, exposure_us=EXPOSURE_US, reference_every=REFERENCE_EVERY
        )
        plain = capture_session(config, plan, folder / "plain.h5", rig=_rig(config))
    print(
        f"batch of {args.scenes} scenes: 1024×1024 JPEG → 256×256, {N_MASKS} masks + refs "
        f"every {REFERENCE_EVERY} at {EXPOSURE_US:g} µs, {SETTLE_S * 1e3:g} ms settle"
    )
    print(
        f"{'per scene':<30}{'physical ms':>12}{'rig clock ms':>14}{'overhead ms':>13}"
        f"{'write ms':>9}{'hidden ms':>10}{'ratio':>8}"
    )
    ratio = _row("batch (images loaded ahead)", batch_summary, args.scenes, physical_s)
    _row("same job, no prefetching", plain.summary, args.scenes, physical_s)
    wall = batch_summary.wall_s / args.scenes * 1e3
    print(
        f"batch wall time per scene {wall:.3f} ms = rig clock "
        f"{batch_summary.device_s / args.scenes * 1e3:.3f} + hidden "
        f"{batch_summary.hidden_s / args.scenes * 1e3:.3f} + overhead "
        f"{batch_summary.overhead_s / args.scenes * 1e3:.3f} ms"
    )
    print(
        f"preparation (every image decoded and hashed once, before the first record): "
        f"{prepare_s / args.scenes * 1e3:.1f} ms per scene"
    )
    verdict = "PASS" if ratio <= GOAL else "FAIL"
    print(f"goal: overhead ≤ {GOAL:.0%} of the physical time per scene: {verdict} ({ratio:.2%})")


if __name__ == "__main__":
    main()
