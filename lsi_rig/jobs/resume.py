"""Can this interrupted session be continued with this rig and plan?

A resumed capture appends to the file it continues, so everything that gives the stored vectors
their meaning must be the same: the rig (resolved configuration), the mask set (content hash),
the scene list (ids and content hashes, in order), the calibration, and the pattern sequence the
vectors are laid out by. Differences are listed in plain words; the caller refuses unless forced,
except for the sequence layout, which no force can reconcile with the stored table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.scenes.scene import SceneInfo


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def rig_differences(stored_yaml: str, current_yaml: str) -> list[str]:
    """Keys whose values differ between two resolved rig files (``world.seed: 1 → 2``)."""
    stored = _flatten(yaml.safe_load(stored_yaml) or {})
    current = _flatten(yaml.safe_load(current_yaml) or {})
    keys = sorted(set(stored) | set(current))
    return [
        f"{key}: {stored.get(key, '(absent)')!r} → {current.get(key, '(absent)')!r}"
        for key in keys
        if stored.get(key) != current.get(key)
    ]


def scene_differences(stored: list[SceneInfo], planned: list[SceneInfo]) -> list[str]:
    if len(stored) != len(planned):
        return [f"the session lists {len(stored)} scenes, the plan {len(planned)}"]
    for i, (a, b) in enumerate(zip(stored, planned, strict=True)):
        if a.scene_id != b.scene_id:
            return [f"scene {i} is {a.scene_id!r} in the session but {b.scene_id!r} now"]
        if a.sha256 and b.sha256 and a.sha256 != b.sha256:
            return [f"scene {i} ({a.scene_id}) has other content now (sha256 differs)"]
    return []


def sequence_differences(stored: PatternSequence, planned: PatternSequence) -> list[str]:
    """The vectors' layout: pattern kinds, mask order, exposure and period per pattern."""
    if stored.n_patterns != planned.n_patterns:
        return [f"{stored.n_patterns} patterns per pass stored, {planned.n_patterns} now"]
    problems = []
    if not np.array_equal(stored.kinds, planned.kinds) or not np.array_equal(
        stored.mask_index, planned.mask_index
    ):
        problems.append("the reference/mask order of the sequence differs (reference_every?)")
    if not np.isclose(stored.exposure_us, planned.exposure_us) or not np.isclose(
        stored.period_us, planned.period_us
    ):
        problems.append(
            f"pattern timing {stored.exposure_us:g}/{stored.period_us:g} µs stored, "
            f"{planned.exposure_us:g}/{planned.period_us:g} µs now"
        )
    return problems


def plan_differences(
    *,
    stored_rig_yaml: str,
    current_rig_yaml: str,
    stored_mask_sha256: str,
    stored_scenes: list[SceneInfo],
    stored_calibration_sha256: str | None,
    plan: CapturePlan,
    calibration_sha256: str | None,
) -> list[str]:
    """Everything (but the sequence layout) that differs, one phrase each."""
    out = [f"rig {d}" for d in rig_differences(stored_rig_yaml, current_rig_yaml)]
    if stored_mask_sha256 != plan.masks.sha256:
        out.append(
            f"mask set {plan.masks.sha256[:12]}… differs from the session's "
            f"{stored_mask_sha256[:12]}…"
        )
    out += scene_differences(stored_scenes, list(plan.scenes.infos))
    if stored_calibration_sha256 != calibration_sha256:
        out.append(
            f"calibration {_short(calibration_sha256)} differs from the session's "
            f"{_short(stored_calibration_sha256)}"
        )
    return out


def _short(sha: str | None) -> str:
    return "none" if sha is None else f"{sha[:12]}…"
