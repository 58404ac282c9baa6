"""LiveDecoder: latest wins, counts add up, errors are a state, close joins the thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lsi_rig.core.errors import ModelError
from lsi_rig.decode.live import LiveDecoder, LiveError, LiveResult, LiveState
from tests.decode.fakes import FakeDecoder

pytestmark = pytest.mark.timeout(60)


def _vector(k: int) -> np.ndarray:
    return np.full(8, float(k), np.float32)


def test_fast_submissions_to_a_slow_decoder_keep_only_the_newest() -> None:
    decoder = FakeDecoder(8, delay_s=0.05)
    with LiveDecoder(decoder) as live:
        start = time.monotonic()
        for k in range(100):
            live.submit(_vector(k), key=k)
        submit_s = time.monotonic() - start
        assert live.wait_idle(timeout_s=30)
        counts = live.counts
        latest = live.latest()
    assert counts.submitted == 100
    assert counts.submitted == counts.decoded + counts.dropped + counts.failed
    # non-blocking: while 100 submits ran, at most one decode per 50 ms could finish
    assert counts.failed == 0 and 1 <= counts.decoded <= 2 + submit_s / 0.05, (counts, submit_s)
    assert latest is not None
    key, result, latency_s = latest  # unpacks as the documented tuple
    assert key == 99  # the last vector is always decoded
    assert result.image[0, 0, 0, 0] == 99 * 8 % 256
    assert latency_s >= 0.05
    decoded_keys = [int(call[0, 0]) for call in decoder.calls]
    assert decoded_keys == sorted(decoded_keys) and decoded_keys[-1] == 99
    assert len(decoded_keys) == counts.decoded
    assert decoder.threads == {"lsi-live-decoder"}


def test_stale_vectors_are_dropped_never_queued() -> None:
    gate = threading.Event()
    decoder = FakeDecoder(8, fail=lambda v: None if gate.wait(10) else RuntimeError("stuck"))
    live = LiveDecoder(decoder)
    live.submit(_vector(0), key="first")
    _wait_decoding(live)
    for k in range(1, 6):
        live.submit(_vector(k), key=k)
    assert live.counts.dropped == 4  # 1…4 replaced while "first" was being decoded
    gate.set()
    assert live.wait_idle(10)
    assert [int(c[0, 0]) for c in decoder.calls] == [0, 5]
    assert live.latest() is not None and live.latest().key == 5  # type: ignore[union-attr]
    live.close()


def test_decoder_errors_are_a_typed_state_and_the_thread_survives() -> None:
    def fail(values: np.ndarray) -> BaseException | None:
        return ValueError(f"bad vector {int(values[0])}") if values[0] < 0 else None

    seen: list[LiveResult | LiveError] = []
    live = LiveDecoder(FakeDecoder(8, fail=fail), on_result=seen.append, on_error=seen.append)
    live.submit(_vector(-3), key="broken")
    assert live.wait_idle(10)
    error = live.error
    assert isinstance(error, LiveError) and error.key == "broken"
    assert isinstance(error.error, ValueError) and error.message == "ValueError: bad vector -3"
    assert live.latest() is None and live.counts.failed == 1 and live.alive
    live.submit(_vector(2), key="ok")
    assert live.wait_idle(10)
    assert live.error is None and live.latest().key == "ok"  # type: ignore[union-attr]
    counts = live.counts
    assert (counts.submitted, counts.decoded, counts.failed, counts.dropped) == (2, 1, 1, 0)
    live.close()
    assert [type(x).__name__ for x in seen] == ["LiveError", "LiveResult"]


def test_a_raising_callback_does_not_stop_decoding() -> None:
    def explode(result: LiveResult) -> None:
        raise RuntimeError("observer bug")

    with LiveDecoder(FakeDecoder(8), on_result=explode) as live:
        for k in range(3):
            live.submit(_vector(k), key=k)
            assert live.wait_idle(10)
        assert live.counts.decoded == 3 and live.alive


def _wait_decoding(live: LiveDecoder) -> None:
    deadline = time.monotonic() + 10
    while live.state is not LiveState.DECODING and time.monotonic() < deadline:
        time.sleep(0.005)
    assert live.state is LiveState.DECODING


def test_close_joins_drops_pending_and_refuses_new_vectors() -> None:
    gate = threading.Event()
    live = LiveDecoder(FakeDecoder(8, fail=lambda v: None if gate.wait(10) else RuntimeError()))
    live.submit(_vector(1), key=1)
    _wait_decoding(live)
    live.submit(_vector(2), key=2)  # pending
    threading.Timer(0.1, gate.set).start()
    live.close(timeout_s=10)  # waits for vector 1, drops vector 2
    assert not live.alive and live.state is LiveState.CLOSED
    counts = live.counts
    assert (counts.decoded, counts.dropped, counts.in_progress) == (1, 1, 0)
    with pytest.raises(ModelError, match="closed"):
        live.submit(_vector(3), key=3)


def test_wrong_vectors_are_refused_at_submit() -> None:
    with LiveDecoder(FakeDecoder(8)) as live:
        with pytest.raises(ModelError, match=r"shape \(5,\) .* expects \[8\]"):
            live.submit(np.zeros(5), key="short")
        with pytest.raises(ModelError, match=r"shape \(2, 8\)"):
            live.submit(np.zeros((2, 8)), key="batch")
        assert live.counts.submitted == 0


def test_submitted_vector_is_copied() -> None:
    buffer = _vector(7)
    with LiveDecoder(FakeDecoder(8, delay_s=0.05)) as live:
        live.submit(buffer, key=7)
        buffer[:] = 0  # the caller reuses its buffer at once
        assert live.wait_idle(10)
        assert live.latest().result.image[0, 0, 0, 0] == 56  # type: ignore[union-attr]


def test_a_rate_cap_spaces_the_decodes_and_still_decodes_the_newest() -> None:
    import time as _time

    from lsi_rig.decode.live import LiveDecoder

    class Quick:
        name, n_measurements, mask_sha256 = "quick", 4, None
        available_tasks = frozenset({"image"})

        def __init__(self) -> None:
            self.times: list[float] = []

        def resolve_tasks(self, tasks):  # type: ignore[no-untyped-def]
            return self.available_tasks

        def decode(self, vectors, tasks=None):  # type: ignore[no-untyped-def]
            from lsi_rig.models.api import DecodeResult

            self.times.append(_time.monotonic())
            z = np.zeros((1, 1), np.float32)
            return DecodeResult(l_cam=z + float(vectors[0, 0]), ws=z)

    decoder = Quick()
    live = LiveDecoder(decoder, max_rate_hz=20.0)  # at most one decode per 50 ms
    try:
        t_end = _time.monotonic() + 0.5
        i = 0
        while _time.monotonic() < t_end:
            live.submit(np.full(4, i, np.float32), i)
            i += 1
            _time.sleep(0.002)
        assert live.wait_idle(2.0)
        gaps = np.diff(decoder.times)
        assert len(decoder.times) <= 12 and gaps.min() >= 0.045, gaps
        latest = live.latest()
        assert latest is not None and latest.key == i - 1  # the newest is never lost
        counts = live.counts
        assert counts.submitted == i and counts.decoded + counts.dropped == i
    finally:
        live.close()
    with pytest.raises(ValueError, match="max_rate_hz"):
        LiveDecoder(decoder, max_rate_hz=0)
