"""The decode service: measurement vectors in, typed results with provenance out.

One object per model, used by ``lsi-rig decode``, notebooks and the GUI alike: decode a session
(all records or a range), a list of :class:`MeasurementVector`, or arrays; results come one
vector at a time as :class:`DecodedVector` (a full-size synthesis pass needs gigabytes, and a
batch would couple the vectors' numerics through the style normalisation). ``cancel()`` is
thread-safe and honoured before each vector; a cancel that arrives before a run starts is kept,
not cleared (the run then yields nothing) until :meth:`DecodeService.reset`. Progress goes to an
optional callback. Qt-free: the GUI wraps the callbacks in signals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.decode.checks import check_lengths, check_session
from lsi_rig.decode.vectors import MeasurementVector, SessionVectors, array_vectors, read_session
from lsi_rig.models.api import DecodeResult, VectorDecoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodeProvenance:
    """Where a result came from: the model, the measurement, and whether checks were forced."""

    model: str
    model_mask_sha256: str | None
    n_measurements: int
    tasks: tuple[str, ...]
    source: str
    vector_index: int
    vector_kind: str
    scene_id: str | None
    record_flags: tuple[str, ...]
    forced: bool


@dataclass(frozen=True)
class DecodedVector:
    """One vector's :class:`DecodeResult` (batch of one) with its provenance and position."""

    vector: MeasurementVector
    result: DecodeResult
    provenance: DecodeProvenance
    position: int  # 0-based within this run
    total: int  # vectors in this run


@dataclass(frozen=True)
class DecodeProgress:
    """Reported after each vector: ``done`` of ``total``, the stem just finished."""

    done: int
    total: int
    stem: str
    elapsed_s: float


ProgressCallback = Callable[[DecodeProgress], None]


def flag_names(flags: int) -> tuple[str, ...]:
    return tuple(f.name or "" for f in RecordFlags if f.value and flags & f.value)


class DecodeService:
    """Decode measurement vectors with one :class:`VectorDecoder` (see module docstring)."""

    def __init__(self, decoder: VectorDecoder, *, tasks: Collection[str] | None = None) -> None:
        self.decoder = decoder
        self.tasks: frozenset[str] = decoder.resolve_tasks(tasks)
        self._cancel = threading.Event()

    # -- control -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop before the next vector (thread-safe; the vector being decoded finishes)."""
        self._cancel.set()

    def reset(self) -> None:
        """Clear a cancel so the next run decodes again."""
        self._cancel.clear()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- checks --------------------------------------------------------------------------------

    def read_session(
        self, path: str | Path, *, records: slice | None = None, force: bool = False
    ) -> tuple[SessionVectors, list[str]]:
        """Read a session's vectors and check them against the model (see ``checks``).

        Returns the vectors and the warnings of a forced mismatch; raises
        :class:`~lsi_rig.decode.checks.ModelMismatchError` otherwise.
        """
        session = read_session(path, records=records)
        warnings = check_session(self.decoder, session, force=force)
        flagged = sum(1 for v in session.vectors if v.flags)
        if flagged:
            warnings.append(
                f"{session.path}: {flagged} of the {len(session.vectors)} records to decode are "
                "flagged (their JSON lists the flags)"
            )
        return session, warnings

    # -- decoding ------------------------------------------------------------------------------

    def decode_one(self, values: np.ndarray) -> DecodeResult:
        """Decode one [n] vector now, on the caller's thread (no cancel, no provenance)."""
        return self.decoder.decode(np.asarray(values, dtype=np.float32)[None], tasks=self.tasks)

    def decode_vectors(
        self,
        vectors: Iterable[MeasurementVector],
        *,
        progress: ProgressCallback | None = None,
        forced: bool = False,
    ) -> Iterator[DecodedVector]:
        """Decode each vector in order; stops early (quietly) after :meth:`cancel`."""
        items: Sequence[MeasurementVector] = list(vectors)
        check_lengths(self.decoder, items)
        tasks = tuple(sorted(self.tasks))
        start = time.perf_counter()
        for position, item in enumerate(items):
            if self._cancel.is_set():
                log.info("decode cancelled after %d of %d vectors", position, len(items))
                return
            result = self.decode_one(item.values)
            provenance = DecodeProvenance(
                model=self.decoder.name,
                model_mask_sha256=self.decoder.mask_sha256,
                n_measurements=self.decoder.n_measurements,
                tasks=tasks,
                source=item.source,
                vector_index=item.index,
                vector_kind=item.kind,
                scene_id=item.scene_id,
                record_flags=flag_names(item.flags),
                forced=forced,
            )
            yield DecodedVector(item, result, provenance, position, len(items))
            if progress is not None:
                progress(
                    DecodeProgress(position + 1, len(items), item.stem, time.perf_counter() - start)
                )

    def decode_session(
        self,
        path: str | Path,
        *,
        records: slice | None = None,
        force: bool = False,
        progress: ProgressCallback | None = None,
    ) -> Iterator[DecodedVector]:
        """Check, then decode a session's records (all, or the ``records`` slice)."""
        session, warnings = self.read_session(path, records=records, force=force)
        for warning in warnings:
            log.warning("%s", warning)
        yield from self.decode_vectors(session.vectors, progress=progress, forced=force)

    def decode_arrays(
        self,
        arrays: np.ndarray,
        *,
        source: str = "array",
        progress: ProgressCallback | None = None,
    ) -> Iterator[DecodedVector]:
        """Decode an in-memory [n] or [B, n] array, one row at a time."""
        yield from self.decode_vectors(array_vectors(arrays, source=source), progress=progress)
