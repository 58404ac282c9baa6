"""segment_trace on synthetic traces."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.detector.windows import find_windows, segment_trace


def synthetic(levels: list[float], high: int = 10, low: int = 2, lead: int = 0):  # type: ignore[no-untyped-def]
    sig, trig = [], []
    sig += [9.0] * lead
    trig += [0.0] * lead
    for i, level in enumerate(levels):
        ramp = np.arange(high, dtype=float) + 100 * i  # distinct values per sample
        sig += list(ramp * 0 + level + ramp * 1e-3)
        trig += [3.3] * high
        sig += [-5.0] * low
        trig += [0.0] * low
    return np.array(sig), np.array(trig)


def test_window_averages_and_edge_counts() -> None:
    sig, trig = synthetic([1.0, 2.0, 3.0], high=8, low=2, lead=3)
    w = segment_trace(sig, trig, 3, settle_guard_fraction=0.25)
    assert w.n_windows == 3 and w.rising_edges == 3 and w.falling_edges == 3
    np.testing.assert_array_equal(w.start, [3, 13, 23])
    np.testing.assert_array_equal(w.stop, [11, 21, 31])
    np.testing.assert_array_equal(w.used_samples, [6, 6, 6])
    expected = [sig[s + 2 : e].mean() for s, e in zip(w.start, w.stop, strict=True)]
    np.testing.assert_allclose(w.samples_v, expected, rtol=1e-15)
    assert not w.missing_edges and not w.extra_edges


def test_trace_starting_high_and_incomplete_last_window() -> None:
    sig, trig = synthetic([1.0, 2.0], high=4, low=1)
    sig = np.concatenate([sig, [7.0, 7.0]])
    trig = np.concatenate([trig, [3.3, 3.3]])  # a third window that never closes
    w = segment_trace(sig, trig, 3, settle_guard_fraction=0.0)
    assert w.n_windows == 2 and w.rising_edges == 3 and w.falling_edges == 2
    assert w.missing_edges and np.isnan(w.samples_v[2])
    np.testing.assert_allclose(w.samples_v[:2], [sig[0:4].mean(), sig[5:9].mean()])


def test_extra_window_is_reported() -> None:
    sig, trig = synthetic([1.0, 2.0, 3.0], high=6, low=2)
    w = segment_trace(sig, trig, 2)
    assert w.extra_edges and w.samples_v.size == 2


def test_guard_keeps_at_least_one_sample() -> None:
    start, stop = find_windows(np.array([0, 3.3, 0, 0]))
    assert start.tolist() == [1] and stop.tolist() == [2]
    w = segment_trace(
        np.array([0.0, 5.0, 0.0, 0.0]), np.array([0, 3.3, 0, 0]), 1, settle_guard_fraction=0.9
    )
    assert w.samples_v.tolist() == [5.0] and w.used_samples.tolist() == [1]


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="equally long"):
        segment_trace(np.zeros(3), np.zeros(4), 1)
