"""The latent-space-imaging demo (``lsi-rig demo``): faces from a handful of numbers.

Held-out procedural faces (seed family 0; the demo model trained on other families) are shown
on the simulated rig's monitor (noise and imperfections on), measured through the demo LSI
model's own learned masks, and decoded by the demo model into a face, a 19-class segmentation,
68 landmarks and CelebA attributes. The procedural faces carry exact ground truth, so the demo
prints what it achieved — PSNR, SSIM, attribute accuracy, landmark NME — next to the panels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.paths import new_session_path
from lsi_rig.decode.vectors import read_session
from lsi_rig.demo.panels import panel_strip, write_attributes_table
from lsi_rig.demo.result import DemoResult
from lsi_rig.engine import Progress
from lsi_rig.evaluation.groundtruth import attribute_vector
from lsi_rig.evaluation.metrics import attribute_accuracies, landmark_nme, psnr_db, ssim
from lsi_rig.jobs.capture import capture_session
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import DecodeResult, VectorDecoder
from lsi_rig.rig import build_rig

#: Faces of this seed family were never used to train the demo model.
HELD_OUT_FAMILY = 0


def run_lsi_demo(
    rig_config: RigConfig,
    mask_set: MaskSet,
    decoder: VectorDecoder,
    folder: Path,
    *,
    n_scenes: int,
    command: str,
    on_progress: Callable[[Progress], None] | None = None,
) -> DemoResult:
    from lsi_rig.scenes.procedural import face_scenes_with_truth
    from lsi_rig.scenes.source import InMemoryScenes

    faces = face_scenes_with_truth(n_scenes, seed=HELD_OUT_FAMILY)
    scenes = [scene for scene, _ in faces]
    plan = plan_from_config(rig_config.acquisition, scenes=InMemoryScenes(scenes), masks=mask_set)
    path = new_session_path(folder, f"demo_{decoder.name.replace(':', '')}")
    with build_rig(rig_config) as rig:
        capture = capture_session(
            rig_config, plan, path, command=command, on_progress=on_progress, rig=rig
        )
    chosen = read_session(path)  # on the model's scale (lsi_rig.decode.units)
    vectors = np.stack([v.values for v in chosen.vectors])
    result = decoder.decode(vectors)
    truth = np.stack([attribute_vector(dict(render.attributes)) for _, render in faces])
    out_dir = path.with_suffix("")
    out_dir.mkdir(exist_ok=True)
    demo = DemoResult(capture=capture, kind="lsi")
    psnrs, ssims, nmes = [], [], []
    accuracies = (
        attribute_accuracies(result.attribute_probabilities, truth)
        if result.attribute_probabilities is not None
        else np.full(len(faces), np.nan)
    )
    for i, (scene, render) in enumerate(faces):
        one = _pick(result, i)
        assert one.image is not None
        psnrs.append(psnr_db(scene.image, one.image[0]))
        ssims.append(ssim(scene.image, one.image[0]))
        if one.landmarks_px is not None:
            nmes.append(float(landmark_nme(one.landmarks_px, render.landmarks_px[None])[0]))
        caption = (
            f"{scene.scene_id}: PSNR {psnrs[-1]:.1f} dB, SSIM {ssims[-1]:.2f}, attributes "
            f"{100 * accuracies[i]:.0f} %" + (f", landmark NME {nmes[-1]:.1f}" if nmes else "")
        )
        demo.images.append(
            panel_strip(
                out_dir / f"{scene.scene_id}.png",
                scene.image,
                one,
                truth_landmarks_px=render.landmarks_px,
                caption=caption,
            )
        )
    demo.psnr_db = psnrs
    if result.attribute_probabilities is not None:
        demo.tables.append(
            write_attributes_table(
                out_dir / "attributes.csv",
                [s.scene_id for s in scenes],
                result.attribute_names,
                result.attribute_probabilities,
                truth,
            )
        )
    ratio = 256 * 256 // mask_set.n  # the paper's compression: pixels per measurement
    line = (
        f"demo model {decoder.name} ({mask_set.n} measurements, 1:{ratio}) on {len(faces)} "
        f"held-out faces: PSNR {np.mean(psnrs):.1f} dB, SSIM {np.mean(ssims):.2f}, "
        f"attributes {100 * np.nanmean(accuracies):.0f} %"
    )
    if nmes:
        line += f", landmark NME {np.mean(nmes):.1f}"
    demo.summary = [line]
    return demo


def _pick(result: DecodeResult, i: int) -> DecodeResult:
    """Batch item ``i`` of a decode result as a one-item result (arrays sliced, rest kept)."""
    sliced: dict[str, Any] = {}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        sliced[f.name] = value[i : i + 1] if isinstance(value, np.ndarray) else value
    return DecodeResult(**sliced)
