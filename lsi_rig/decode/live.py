"""Latest-wins decoding for live views: always decode the newest vector, never a backlog.

A capture produces a vector every few tens of milliseconds; one decode takes seconds on a CPU.
Queueing would show a face minutes old, so :class:`LiveDecoder` keeps a single pending slot: a
newer :meth:`~LiveDecoder.submit` replaces a vector still waiting (it is counted as dropped),
and the worker thread, when free, takes whatever is newest. The last vector submitted is
therefore always decoded. A decoder exception becomes the typed :class:`LiveError` state (and
the ``failed`` count) and the worker carries on with the next vector; it never dies silently.
Callbacks run on the worker thread (a GUI forwards them through queued signals).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lsi_rig.core.errors import ModelError
from lsi_rig.models.api import DecodeResult, VectorDecoder

log = logging.getLogger(__name__)


class LiveState(enum.Enum):
    IDLE = "idle"  # nothing to do
    DECODING = "decoding"  # the worker is decoding a vector
    CLOSED = "closed"  # close() was called; submissions are refused


class LiveResult(NamedTuple):
    """The newest finished decode: the caller's key, the result, submit-to-result seconds."""

    key: Hashable
    result: DecodeResult
    latency_s: float


@dataclass(frozen=True)
class LiveError:
    """The decoder raised for the vector submitted under ``key``."""

    key: Hashable
    error: Exception
    message: str


@dataclass(frozen=True)
class LiveCounts:
    """``submitted == decoded + dropped + failed + in_progress`` at any moment."""

    submitted: int
    decoded: int
    dropped: int
    failed: int

    @property
    def in_progress(self) -> int:
        """Vectors pending or being decoded (0, 1 or 2)."""
        return self.submitted - self.decoded - self.dropped - self.failed


@dataclass
class _Pending:
    key: Hashable
    values: np.ndarray
    submitted_at: float


class LiveDecoder:
    """A worker thread decoding the newest submitted vector (see module docstring)."""

    def __init__(
        self,
        decoder: VectorDecoder,
        *,
        tasks: Collection[str] | None = None,
        on_result: Callable[[LiveResult], None] | None = None,
        on_error: Callable[[LiveError], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "lsi-live-decoder",
        max_rate_hz: float | None = None,
    ) -> None:
        """``max_rate_hz`` caps how often a vector is decoded (None: as fast as they come);
        submissions in between still replace the pending one, so the newest is decoded next."""
        if max_rate_hz is not None and not max_rate_hz > 0:
            raise ValueError(f"max_rate_hz must be positive, got {max_rate_hz}")
        self._min_interval_s = 0.0 if max_rate_hz is None else 1.0 / max_rate_hz
        self.decoder = decoder
        self.tasks = decoder.resolve_tasks(tasks)
        self._on_result, self._on_error, self._clock = on_result, on_error, clock
        self._cond = threading.Condition()
        self._pending: _Pending | None = None
        self._busy = False
        self._closing = False
        self._latest: LiveResult | None = None
        self._error: LiveError | None = None
        self._submitted = self._decoded = self._dropped = self._failed = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # -- caller side ---------------------------------------------------------------------------

    def submit(self, vector: np.ndarray, key: Hashable) -> None:
        """Offer ``vector`` ([n]) for decoding; returns at once. Replaces a pending vector."""
        values = np.array(vector, dtype=np.float32, copy=True)
        n = self.decoder.n_measurements
        if values.shape != (n,):
            raise ModelError(
                f"live decode: vector of shape {values.shape} for model {self.decoder.name}, "
                f"which expects [{n}]"
            )
        with self._cond:
            if self._closing:
                raise ModelError("live decoder is closed; create a new one")
            self._submitted += 1
            if self._pending is not None:
                self._dropped += 1
            self._pending = _Pending(key, values, self._clock())
            self._cond.notify_all()

    def latest(self) -> LiveResult | None:
        """The newest finished result (key, DecodeResult, latency_s), or None."""
        with self._cond:
            return self._latest

    @property
    def error(self) -> LiveError | None:
        """The last decode failure, cleared by the next successful decode."""
        with self._cond:
            return self._error

    @property
    def counts(self) -> LiveCounts:
        with self._cond:
            return LiveCounts(self._submitted, self._decoded, self._dropped, self._failed)

    @property
    def state(self) -> LiveState:
        with self._cond:
            if self._closing:
                return LiveState.CLOSED
            return LiveState.DECODING if self._busy else LiveState.IDLE

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until nothing is pending or decoding; False if ``timeout_s`` passed first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending is None and not self._busy, timeout=timeout_s
            )

    def close(self, timeout_s: float | None = None) -> None:
        """Refuse new vectors, drop a pending one, let a running decode finish, join."""
        with self._cond:
            self._closing = True
            if self._pending is not None:
                self._pending = None
                self._dropped += 1
            self._cond.notify_all()
        self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> LiveDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- worker side ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closing)
                if self._pending is None:  # closing and nothing to do
                    return
                item, self._pending = self._pending, None
                self._busy = True
            started = time.monotonic()
            self._decode(item)
            rest = self._min_interval_s - (time.monotonic() - started)
            if rest > 0:
                with self._cond:
                    self._cond.wait_for(lambda: self._closing, timeout=rest)

    def _decode(self, item: _Pending) -> None:
        outcome: LiveResult | LiveError
        try:
            result = self.decoder.decode(item.values[None], tasks=self.tasks)
        except Exception as exc:  # any decoder failure becomes the error state, never a dead thread
            outcome = LiveError(item.key, exc, f"{type(exc).__name__}: {exc}")
            log.warning("live decode of %r failed: %s", item.key, outcome.message)
        else:
            outcome = LiveResult(item.key, result, self._clock() - item.submitted_at)
        with self._cond:
            if isinstance(outcome, LiveResult):
                self._decoded += 1
                self._latest, self._error = outcome, None
            else:
                self._failed += 1
                self._error = outcome
            self._busy = False
            self._cond.notify_all()
        callback = self._on_result if isinstance(outcome, LiveResult) else self._on_error
        if callback is not None:
            try:
                callback(outcome)  # type: ignore[arg-type]
            except Exception:  # a broken observer must not stop decoding
                log.exception("live decode callback failed")
