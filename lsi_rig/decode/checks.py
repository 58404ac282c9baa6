"""Does this model fit these measurements? Checked before anything is decoded or written.

A vector measured through one mask set and decoded by a model trained with another gives a
plausible-looking face that has nothing to do with the scene, and nothing downstream notices.
So the session's mask-set hash (the content hash of ``lsi_rig.masks``, stored with the bits in
every session) must equal the model's ``mask_sha256``; a differential (``--complementary``)
session is refused too, because its vectors are mask − complement differences no model was
trained on. ``force`` turns both refusals into warnings. A vector length that does not match
cannot be forced: the model has no input for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsi_rig.core.errors import ModelError
from lsi_rig.decode.vectors import MeasurementVector, SessionVectors
from lsi_rig.models.api import VectorDecoder


class ModelMismatchError(ModelError):
    """The model does not fit the measurements (other masks, other length, differential)."""


def _short(digest: str | None) -> str:
    return "unknown" if digest is None else f"{digest[:12]}…"


def check_lengths(decoder: VectorDecoder, vectors: Sequence[MeasurementVector]) -> None:
    """Every vector must have ``decoder.n_measurements`` values (names the first that has not)."""
    n = decoder.n_measurements
    for v in vectors:
        if v.values.ndim != 1 or v.values.shape[0] != n:
            raise ModelMismatchError(
                f"{v.source}: vector {v.index} has {v.values.size} values but model "
                f"{decoder.name} expects n={n}; decode it with a model trained with "
                f"{v.values.size} masks"
            )


def check_session(
    decoder: VectorDecoder, session: SessionVectors, *, force: bool = False
) -> list[str]:
    """Refuse (or with ``force``, return as warnings) every way ``session`` does not fit."""
    n = decoder.n_measurements
    if session.width != n:
        raise ModelMismatchError(
            f"{session.path} holds {session.width}-value vectors (masks {session.mask_name!r}) "
            f"but model {decoder.name} expects n={n}; decode it with the model whose masks "
            "were shown"
        )
    problems: list[str] = []
    model_hash = decoder.mask_sha256
    if model_hash is not None and model_hash != session.mask_sha256:
        problems.append(
            f"{session.path} was captured through masks {session.mask_name!r} (sha256 "
            f"{_short(session.mask_sha256)}) but model {decoder.name} was trained with masks "
            f"sha256 {_short(model_hash)}, so its faces would be garbage; decode with the model "
            "whose masks were shown on the DMD"
        )
    if session.complementary:
        problems.append(
            f"{session.path} was captured with complementary masks: its vectors are "
            f"mask − complement differences, which model {decoder.name} was not trained on"
        )
    if problems and not force:
        raise ModelMismatchError(f"{problems[0]} (or pass --force to decode anyway)")
    check_lengths(decoder, session.vectors)
    return [f"{p}; decoding anyway (--force)" for p in problems]
