"""``lsi-rig evaluate`` as a library call: models × counts × (rig capture | session) → reports."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig.core.errors import ConfigError, SessionError
from lsi_rig.evaluation.capture import capture_vectors, session_vectors_in_units
from lsi_rig.evaluation.groundtruth import TruthItem
from lsi_rig.evaluation.identity import DlibIdentity
from lsi_rig.evaluation.runner import CountResult, evaluate_decoder
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import VectorDecoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelUnderTest:
    decoder: VectorDecoder
    masks: MaskSet


def demo_models(spec: str, counts: Sequence[int] | None) -> list[ModelUnderTest]:
    """``demo``, ``demo:N`` or a demo weights folder (``DIR`` / ``DIR:N``)."""
    from lsi_rig.models.demo import available_demo_counts, load_demo_decoder

    folder: str | None = None
    head, _, tail = spec.rpartition(":") if ":" in spec else (spec, "", "")
    base = head if tail.isdigit() else spec
    only = int(tail) if tail.isdigit() else None
    if base != "demo":
        folder = base
    have = available_demo_counts(folder)
    wanted = [only] if only is not None else list(counts or have)
    if only is not None and counts and list(counts) != [only]:
        raise ConfigError(f"--model {spec} fixes n={only}; --counts {list(counts)} disagrees")
    missing = [n for n in wanted if n not in have]
    if missing:
        raise ConfigError(f"--model {spec}: no {missing}-measurement version (have {list(have)})")
    out = []
    for n in wanted:
        decoder = load_demo_decoder(n, folder)
        out.append(ModelUnderTest(decoder, decoder.masks()))
    return out


def official_model(checkpoint: Path, generator: Path | None) -> ModelUnderTest:
    if generator is None:
        raise ConfigError(
            f"--model {checkpoint}: an official checkpoint needs --generator "
            "ffhq256.pkl or a converted cache"
        )
    from lsi_rig.decode.model_masks import load_masks
    from lsi_rig.models.decoder import Decoder

    decoder = Decoder.from_files(checkpoint, generator, impl="fast")
    return ModelUnderTest(decoder, load_masks(str(checkpoint)))


def vectors_for_model(
    model: ModelUnderTest,
    truth: Sequence[TruthItem],
    *,
    rig: str | None,
    sessions: Sequence[Path],
    out: Path,
) -> tuple[np.ndarray, list[TruthItem]]:
    """Vectors (simulation units) and their truth items, from a matching session or a capture."""
    for path in sessions:
        try:
            vectors, ids, hashes = session_vectors_in_units(path, model.masks)
        except SessionError as exc:
            if "captured through masks" in str(exc):
                continue
            raise
        by_id = {t.scene.scene_id: t for t in truth}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ConfigError(f"{path}: scene {unknown[0]!r} has no ground truth in --images")
        for scene_id in set(ids):
            if hashes.get(scene_id) != by_id[scene_id].scene.sha256:
                raise ConfigError(
                    f"{path}: scene {scene_id!r} is not the --images picture (content hash differs)"
                )
        return vectors, [by_id[i] for i in ids]
    if rig is None:
        raise ConfigError(
            f"no --session was captured through the masks of {model.decoder.name}; "
            "pass one, or --rig to capture"
        )
    session = out / "sessions" / f"{model.decoder.name.replace(':', '_')}.h5"
    vectors = capture_vectors(rig, model.masks, [t.scene for t in truth], session)
    return vectors, list(truth)


def run_evaluation(
    models: Sequence[ModelUnderTest],
    truth: Sequence[TruthItem],
    *,
    rig: str | None,
    sessions: Sequence[Path],
    out: Path,
    identity: bool,
    batch: int = 50,
    meta: dict[str, Any] | None = None,
    on_model: Callable[[str], None] | None = None,
) -> tuple[list[CountResult], dict[str, Path]]:
    from lsi_rig.evaluation.report import write_reports

    checker = DlibIdentity() if identity else None
    results = []
    for model in models:
        if on_model is not None:
            on_model(model.decoder.name)
        vectors, items = vectors_for_model(model, truth, rig=rig, sessions=sessions, out=out)
        results.append(
            evaluate_decoder(model.decoder, vectors, items, batch=batch, identity=checker)
        )
    info = {"rig": rig or "sessions", "images": len(truth), **(meta or {})}
    return results, write_reports(results, out, info)
