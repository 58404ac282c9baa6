"""Registration maths and scene drawing: affine fits, coverage, dithered linearisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lsi_rig.calibration.affine import GRID, Affine, covered_fraction, fit_affine
from lsi_rig.calibration.render import SceneRenderer, encode_channel, linear_lut, to_grid


def rotation(deg: float, scale: float = 1.0, shift: tuple[float, float] = (0, 0)) -> Affine:
    t = math.radians(deg)
    m = scale * np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    c = np.array([GRID / 2, GRID / 2])
    return Affine(m, c - m @ c + np.asarray(shift, dtype=float))


def test_fit_affine_recovers_a_known_map_and_reports_residuals() -> None:
    truth = rotation(2.5, 1.03, (4.0, -3.0))
    pts = np.random.default_rng(0).uniform(0, GRID, (20, 2))
    fitted, residuals = fit_affine(pts, truth.apply(pts))
    assert fitted.max_distance(truth) < 1e-9
    assert np.abs(residuals).max() < 1e-9
    assert fitted.scale == pytest.approx(1.03)
    assert fitted.rotation_deg == pytest.approx(2.5)
    np.testing.assert_allclose(fitted.centre_shift(), [4.0, -3.0], atol=1e-9)
    moved = truth.apply(pts)
    moved[3] += [0.5, 0.0]
    _, residuals = fit_affine(pts, moved)
    assert np.argmax(np.linalg.norm(residuals, axis=1)) == 3
    back = truth.inverse().apply(truth.apply(pts))
    np.testing.assert_allclose(back, pts, atol=1e-9)
    assert Affine.from_list(truth.to_list()).max_distance(truth) == 0.0


def test_fit_affine_needs_three_points() -> None:
    with pytest.raises(ValueError):
        fit_affine(np.zeros((2, 2)), np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("affine", "expected"),
    [
        (Affine.identity(), 1.0),
        (rotation(0, 0.95), 0.95**2),
        (Affine(np.eye(2), np.array([5.0, 0.0])), 251 / 256),
        (Affine(np.eye(2), np.array([-3.0, 4.0])), (253 / 256) * (252 / 256)),
        (rotation(0, 1.05, (5.0, -5.0)), 1.0),  # 6.4 px margin > 5 px shift
        (rotation(0, 1.05, (7.0, 0.0)), (256 - 0.6) / 256),
        (Affine(np.eye(2), np.array([300.0, 0.0])), 0.0),
    ],
)
def test_covered_fraction(affine: Affine, expected: float) -> None:
    assert covered_fraction(affine) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("deg", [1.0, -3.0])
def test_covered_fraction_of_a_rotated_image_matches_sampling(deg: float) -> None:
    affine = rotation(deg, 1.02, (1.5, -2.0))
    n = 1024
    centres = (np.arange(n) + 0.5) * GRID / n
    mx, my = np.meshgrid(centres, centres)
    s = affine.inverse().apply(np.stack([mx, my], axis=-1))
    inside = np.all((s >= 0) & (s <= GRID), axis=-1)
    assert covered_fraction(affine) == pytest.approx(inside.mean(), abs=2e-3)
    assert covered_fraction(affine) < 1.0


@pytest.mark.parametrize("gamma", [1.0, 1.8, 2.6])
def test_dithered_codes_average_to_the_linear_value(gamma: float) -> None:
    """A 4×4 patch of one linear value shows that light on average, far finer than the
    ~1 % steps of a gamma curve's bright end."""
    lut = (np.arange(256) / 255.0) ** gamma
    thresholds = SceneRenderer(Affine.identity(), np.tile(lut, (3, 1)))._thresholds[:4, :4]  # type: ignore[attr-defined]
    worst = 0.0
    for t in np.linspace(0, 1, 301):
        codes = encode_channel(np.full((4, 4), t), lut, thresholds)
        worst = max(worst, abs(float(lut[codes].mean()) - t))
    steps = np.diff(lut).max()
    assert worst <= steps / 16 + 1e-12
    assert worst < 1.5e-3


def test_rendering_follows_the_registration() -> None:
    """With a registration that shifts the scene 2 px right on the mask area, the monitor pixel
    that lands on mask pixel j shows scene pixel j: the drawing undoes the shift."""
    scene = np.zeros((GRID, GRID, 3))
    scene[:, 100] = 1.0  # one bright column
    shift = Affine(np.eye(2), np.array([2.0, 0.0]))
    renderer = SceneRenderer(shift, linear_lut(), supersample=1)
    shown = renderer.render_linear(scene)
    bright = np.flatnonzero(shown[10, :, 0] > 0)
    assert bright.tolist() == [98]  # monitor x 98 lands on mask x 100
    assert shown.dtype == np.uint8 and shown.shape == (GRID, GRID, 3)
    # where the monitor image lands outside the mask area it is black
    assert not shown[:, -2:].any()


def test_flat_field_compensation_dims_where_the_response_is_strong() -> None:
    flat = np.ones((GRID, GRID))
    flat[:, : GRID // 2] = 1.25
    renderer = SceneRenderer(
        Affine.identity(), linear_lut(), flat_field=flat, flat_ref=1.0, supersample=2
    )
    shown = renderer.render_linear(np.full((GRID, GRID, 3), 0.8)).astype(float) / 255
    left, right = shown[:, :GRID].mean(), shown[:, GRID:].mean()
    assert left == pytest.approx(0.8 / 1.25, abs=2e-3)
    assert right == pytest.approx(0.8, abs=2e-3)


def test_bad_renderer_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        SceneRenderer(Affine.identity(), linear_lut()[:, ::-1])
    with pytest.raises(ValueError, match="positive"):
        SceneRenderer(Affine.identity(), linear_lut(), flat_field=np.zeros((GRID, GRID)))
    with pytest.raises(ValueError, match="uint8"):
        to_grid(np.zeros((4, 4, 3)))


def test_scenes_are_resized_to_the_lsi_grid() -> None:
    img = np.zeros((64, 128, 3), dtype=np.uint8)
    img[:, 64:] = 255
    grid = to_grid(img)
    assert grid.shape == (GRID, GRID, 3)
    assert grid[:, :100].max() == 0.0 and grid[:, 160:].min() == 1.0
