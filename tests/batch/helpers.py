"""Image folders, manifests, label files and synthetic sessions with known contents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from lsi_rig.batch.ground_truth import (
    KEY_ATTR_NAMES,
    KEY_ATTRIBUTES,
    KEY_BATCH,
    KEY_ROW,
    KEY_SPLIT,
)
from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.loading import load_scene_file
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import RunStatus, SessionMetadata, SessionWriter

ATTRIBUTE_NAMES = [f"attr_{i:02d}" for i in range(40)]
T0_NS = 1_800_000_000 * 10**9


def make_images(
    folder: Path, stems: Sequence[str], *, size: int = 32, fmt: str = "png", seed: int = 0
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for stem in stems:
        path = folder / f"{stem}.{fmt}"
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        if fmt == "jpg":
            Image.fromarray(pixels).save(path, quality=95)
        else:
            Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def write_manifest(
    path: Path, rows: Sequence[Sequence[str]], header: str = "id,path,split"
) -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_attributes(path: Path, stems: Sequence[str], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array([-1, 1], dtype=np.int8), size=(len(stems), 40))
    lines = [str(len(stems)), " ".join(ATTRIBUTE_NAMES)]
    lines += [
        f"{s}.jpg " + " ".join(f"{v:2d}" for v in row) for s, row in zip(stems, values, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return values


@dataclass
class Synthetic:
    """What a synthetic session holds, for exact assertions."""

    path: Path
    vectors: np.ndarray  # vector_v, record order
    samples: np.ndarray
    table: np.ndarray  # (scene_index, repeat_index, flags) per record
    scene_ids: list[str]
    splits: list[str]
    attributes: np.ndarray | None


def synthetic_session(
    path: Path,
    images: Sequence[Path],
    *,
    n_masks: int = 8,
    repeats: int = 1,
    reference_every: int | None = 4,
    flags: dict[int, int] | None = None,
    splits: Sequence[str] | None = None,
    attributes: np.ndarray | None = None,
    skip: set[tuple[int, int]] | None = None,
    duplicate: Sequence[tuple[int, int]] = (),
    gaps_s: dict[int, float] | None = None,
    bright_trend: float = 0.0,
    status: RunStatus = RunStatus.COMPLETE,
    batch: bool = True,
    seed: int = 5,
) -> Synthetic:
    """A session whose scenes are ``images`` (hashed as files, native size), with random
    vectors: record ``i`` lasts 30 ms, then a 5 ms gap (plus ``gaps_s[i]``); its bright
    references are 1 V × (1 + bright_trend · i / N)."""
    rng = np.random.default_rng(seed)
    masks = MaskSet(rng.random((n_masks, 4, 4)) < 0.5, "synthetic", "test")
    sequence = PatternSequence.build(masks, exposure_us=250.0, reference_every=reference_every)
    scenes = []
    for p in images:
        scene = load_scene_file(p, size=None)
        h, w = scene.image.shape[:2]
        scenes.append(SceneInfo(p.stem, str(p.resolve()), scene.sha256, h, w))
    splits = (
        list(splits)
        if splits is not None
        else ["train" if i % 3 else "test" for i in range(len(scenes))]
    )
    extra: dict[str, Any] = {}
    if batch:
        extra[KEY_BATCH] = {"format_version": 1, "repeats": repeats, "order": "fixed"}
        extra[KEY_ROW] = np.arange(len(scenes), dtype=np.int64)
        extra[KEY_SPLIT] = splits
    if attributes is not None:
        extra[KEY_ATTR_NAMES] = ATTRIBUTE_NAMES
        extra[KEY_ATTRIBUTES] = attributes.astype(np.int8)
    metadata = SessionMetadata(
        rig_name="synthetic",
        rig_config_yaml="name: synthetic\n",
        devices={},
        masks=masks,
        sequence=sequence,
        scenes=scenes,
        extra=extra,
    )
    keys = [
        (s, r) for s in range(len(scenes)) for r in range(repeats) if (s, r) not in (skip or set())
    ]
    keys += list(duplicate)
    m, p = len(keys), sequence.n_patterns
    samples = rng.standard_normal((m, p)).astype(np.float32)
    bright = np.flatnonzero(sequence.kinds == PatternKind.BRIGHT)
    dark = np.flatnonzero(sequence.kinds == PatternKind.DARK)
    level = 1.0 + bright_trend * np.arange(m) / max(m, 1)
    samples[:, bright] = level[:, None].astype(np.float32)
    samples[:, dark] = 0.002
    vectors = rng.standard_normal((m, n_masks)).astype(np.float32)
    flag_values = np.zeros(m, dtype=np.uint32)
    for i, f in (flags or {}).items():
        flag_values[i] = f
    starts = np.empty(m, dtype=np.int64)
    t = T0_NS
    for i in range(m):
        starts[i] = t
        t += 35_000_000 + int((gaps_s or {}).get(i, 0.0) * 1e9)
    with SessionWriter(path, metadata) as writer:
        writer.append_arrays(
            samples_v=samples,
            vector_v=vectors,
            scene_index=np.array([k[0] for k in keys], dtype=np.int32),
            repeat_index=np.array([k[1] for k in keys], dtype=np.int32),
            t_start_ns=starts,
            t_end_ns=starts + 30_000_000,
            flags=flag_values,
            range_v=np.full(m, 10.0),
        )
        writer.close(status)
    table = np.array(keys, dtype=np.int64)
    return Synthetic(
        path, vectors, samples, table, [s.scene_id for s in scenes], splits, attributes
    )
