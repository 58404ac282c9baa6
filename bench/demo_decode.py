"""Demo LSI model: decode time per vector on the CPU (goal ≤ 20 ms, so the GUI is live on a
laptop), and the procedural face renderer's time per face (goal ≤ 10 ms, training renders tens
of thousands).

Each decode is one vector with every task (image, attributes, segmentation logits at 256²,
landmarks), the way the GUI and ``lsi-rig decode`` call it. The verdict uses the minimum of the
repeats (the cost of the work itself; on a machine shared with other jobs the median mostly
measures the other jobs), and the median is printed next to it.

    python bench/demo_decode.py [--repeats 50] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from lsi_rig.models.demo import available_demo_counts, load_demo_decoder
from lsi_rig.models.demo.physics import block_sums
from lsi_rig.scenes.faces import face_render

DECODE_GOAL_MS = 20.0
RENDER_GOAL_MS = 10.0


def _verdict(ms: float, goal: float) -> str:
    return f"{ms / goal:5.2f}× goal  {'PASS' if ms <= goal else 'FAIL'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    faces = [face_render(0, i) for i in range(8)]
    times = []
    for i in range(max(args.repeats, 8)):
        t0 = time.perf_counter()
        face_render(1, i)
        times.append((time.perf_counter() - t0) * 1e3)
    render_ms = statistics.median(times)
    print(
        f"render 256² face + ground truth: median {render_ms:6.2f} ms  "
        f"{_verdict(render_ms, RENDER_GOAL_MS)}"
    )
    ok = render_ms <= RENDER_GOAL_MS
    for n in available_demo_counts():
        decoder = load_demo_decoder(n)
        grid = decoder.model.grid_bits.reshape(n, -1).astype(np.float64)
        vectors = [grid @ block_sums(f.image).astype(np.float64) for f in faces]
        decoder.decode(vectors[0])  # warm-up
        samples = []
        for k in range(args.repeats):
            t0 = time.perf_counter()
            decoder.decode(vectors[k % len(vectors)])
            samples.append((time.perf_counter() - t0) * 1e3)
        best, median = min(samples), statistics.median(samples)
        print(
            f"decode n={n:3d}, all tasks, 1 vector: min {best:6.2f} ms, median {median:6.2f} ms"
            f"  {_verdict(best, DECODE_GOAL_MS)}"
        )
        ok &= best <= DECODE_GOAL_MS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
