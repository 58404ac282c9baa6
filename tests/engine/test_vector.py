from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import ConfigError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.engine.vector import form_vector
from lsi_rig.masks import MaskSet


def _masks(n: int = 6, complementary: bool = False) -> MaskSet:
    rng = np.random.default_rng(0)
    return MaskSet(rng.random((n, 4, 4)) > 0.5, "t", "test", complementary)


def test_sequence_layout_with_references() -> None:
    seq = PatternSequence.build(_masks(6), exposure_us=250, reference_every=4)
    d, b, m = PatternKind.DARK, PatternKind.BRIGHT, PatternKind.MASK
    assert list(seq.kinds) == [d, b, m, m, m, m, d, b, m, m, d, b]
    assert list(seq.mask_index) == [-1, -1, 0, 1, 2, 3, -1, -1, 4, 5, -1, -1]
    bits = seq.bits()
    assert not bits[0].any() and bits[1].all()
    np.testing.assert_array_equal(bits[2], seq.masks.bits[0])


def test_sequence_complements_follow_masks() -> None:
    seq = PatternSequence.build(_masks(2, complementary=True), exposure_us=250)
    assert list(seq.kinds) == [PatternKind.MASK, PatternKind.COMPLEMENT] * 2
    np.testing.assert_array_equal(seq.bits()[1], ~seq.masks.bits[0])


def test_sequence_rejects_period_shorter_than_exposure() -> None:
    with pytest.raises(ConfigError, match="period_us"):
        PatternSequence.build(_masks(), exposure_us=300, period_us=250)


def test_dark_reference_interpolated_over_pattern_index() -> None:
    seq = PatternSequence.build(_masks(6), exposure_us=250, reference_every=4)
    # offset drifts linearly 0.1 V per pattern; masks carry 1..6 V on top
    samples = 0.1 * np.arange(seq.n_patterns, dtype=float)
    truth = np.arange(1, 7, dtype=float)
    mask_pos = seq.positions(PatternKind.MASK)
    samples[mask_pos] += truth[seq.mask_index[mask_pos]]
    bright_pos = seq.positions(PatternKind.BRIGHT)
    samples[bright_pos] += 10.0
    formed = form_vector(samples, seq)
    np.testing.assert_allclose(formed.vector_v, truth, atol=1e-12)
    np.testing.assert_allclose(formed.raw_v, samples[mask_pos])
    np.testing.assert_allclose(formed.dark_v, 0.1 * seq.positions(PatternKind.DARK))
    assert formed.flags == RecordFlags.NONE


def test_drift_flag_when_bright_reference_changes() -> None:
    seq = PatternSequence.build(_masks(6), exposure_us=250, reference_every=4)
    samples = np.zeros(seq.n_patterns)
    bright_pos = seq.positions(PatternKind.BRIGHT)
    samples[bright_pos] = [5.0, 5.0, 5.5]  # 10 % change
    assert form_vector(samples, seq, drift_threshold=0.02).flags & RecordFlags.DRIFT
    assert not form_vector(samples, seq, drift_threshold=0.2).flags & RecordFlags.DRIFT


def test_differential_vector_is_mask_minus_complement() -> None:
    seq = PatternSequence.build(_masks(3, complementary=True), exposure_us=250)
    samples = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 3.5])
    np.testing.assert_allclose(form_vector(samples, seq).vector_v, [4.0, 2.0, -0.5])
