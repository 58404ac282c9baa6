"""Latest-wins decoding for live views (provisional: the decode service brings the real one).

A capture produces vectors faster than a neural decoder can turn them into faces; a live view
wants the newest face, not a queue of old ones. :class:`LiveDecoder` owns one worker thread and
one pending slot: ``submit`` never blocks and a newer vector replaces a pending one (counted as
dropped); the worker decodes whatever is pending when it becomes free. ``latest`` returns the
newest result with the time from its submission to the end of its decode.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Hashable
from dataclasses import dataclass

import numpy as np

from lsi_rig.core.errors import ModelError
from lsi_rig.models.api import DecodeResult, VectorDecoder

log = logging.getLogger(__name__)

Latest = tuple[Hashable, DecodeResult, float]


@dataclass(frozen=True)
class LiveCounts:
    """``submitted == decoded + dropped + failed`` once nothing is pending or decoding."""

    submitted: int
    decoded: int
    dropped: int
    failed: int


class LiveDecoder:
    """One decode worker with a single pending slot (see module docstring)."""

    def __init__(self, decoder: VectorDecoder, *, tasks: Collection[str] | None = None) -> None:
        self.decoder = decoder
        self.tasks = decoder.resolve_tasks(tasks)
        self._cond = threading.Condition()
        self._pending: tuple[np.ndarray, Hashable, float] | None = None
        self._latest: Latest | None = None
        self._closed = False
        self._busy = False
        self._submitted = self._decoded = self._dropped = self._failed = 0
        self._thread = threading.Thread(target=self._work, name="live decoder", daemon=True)
        self._thread.start()

    def submit(self, vector: np.ndarray, key: Hashable) -> None:
        """Queue ``vector`` for decoding under ``key``; replaces (drops) a pending one."""
        values = np.array(vector, dtype=np.float32, copy=True)
        if values.shape != (self.decoder.n_measurements,):
            raise ModelError(
                f"live decode: vector of shape {values.shape} for {self.decoder.name}, which "
                f"expects [{self.decoder.n_measurements}]"
            )
        with self._cond:
            if self._closed:
                raise ModelError("live decoder is closed; create a new one")
            if self._pending is not None:
                self._dropped += 1
            self._pending = (values, key, time.perf_counter())
            self._submitted += 1
            self._cond.notify_all()

    def latest(self) -> Latest | None:
        """``(key, result, latency_s)`` of the newest decoded vector, or None yet."""
        with self._cond:
            return self._latest

    @property
    def counts(self) -> LiveCounts:
        with self._cond:
            return LiveCounts(self._submitted, self._decoded, self._dropped, self._failed)

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until nothing is pending or decoding; False if ``timeout_s`` passed first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending is None and not self._busy, timeout=timeout_s
            )

    def _work(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                assert self._pending is not None
                vector, key, submitted_at = self._pending
                self._pending = None
                self._busy = True
            try:
                result = self.decoder.decode(vector[None], self.tasks)
            except Exception:  # a bad vector must not end live decoding
                log.exception("live decoding of %r with %s failed", key, self.decoder.name)
                with self._cond:
                    self._failed += 1
                    self._busy = False
                    self._cond.notify_all()
                continue
            with self._cond:
                self._latest = (key, result, time.perf_counter() - submitted_at)
                self._decoded += 1
                self._busy = False
                self._cond.notify_all()

    def close(self, timeout_s: float | None = 5.0) -> None:
        """Stop the worker (a decode in progress finishes first, up to ``timeout_s``)."""
        with self._cond:
            self._closed = True
            if self._pending is not None:
                self._pending = None
                self._dropped += 1
            self._cond.notify_all()
        self._thread.join(timeout_s)
