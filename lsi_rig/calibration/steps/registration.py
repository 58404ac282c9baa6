"""Registration step: where the scene lands on the mask area, measured by single-pixel imaging.

1. Walsh–Hadamard pictures of the mask area (:mod:`lsi_rig.calibration.registration_fit`) of a
   black frame, a white frame and the dot target (drawn through the monitor linearisation,
   unregistered).
2. The flat field from white − black; the dots located in the background-free, flat-corrected
   target picture; an affine fitted from their scene positions to their mask positions.
3. Verification with the new drawing: the target drawn through the registration must put every
   dot at its nominal place on the mask area, and the white drawn through registration and flat
   field must cover the whole mask area evenly.

The step fails — keeping the previous calibration — when the dots do not fit an affine, the
verified error exceeds ``max_registration_error_px``, or the monitor image cannot cover the
mask area (magnification too small or too far off centre: the vectors could never match the
simulation there).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lsi_rig.calibration.affine import GRID, Affine, covered_fraction, fit_affine
from lsi_rig.calibration.figures import render_png
from lsi_rig.calibration.model import RegistrationResult
from lsi_rig.calibration.registration_fit import (
    chunk_count,
    fit_flat_field,
    fit_registration,
    flat_on_blocks,
    locate_dots,
    reconstruct,
    walsh_chunks,
    walsh_order,
)
from lsi_rig.calibration.render import SceneRenderer
from lsi_rig.calibration.steps.base import StepContext, StepOutcome
from lsi_rig.calibration.targets import dot_target, uniform
from lsi_rig.core.records import MeasurementRecord


def walsh_values(record: MeasurementRecord) -> np.ndarray:
    """Mask samples minus the MEAN of the dark references, not the interpolated dark of
    ``vector_v``: the noise of a few interpolated dark samples is a ramp common to every
    pattern, which the Walsh transform spreads into smooth artefacts over the whole picture,
    whereas an error in a constant offset lands in reconstruction pixel (0, 0) alone."""
    raw = np.asarray(record.raw_v, dtype=np.float64)
    dark = np.asarray(record.dark_v, dtype=np.float64)
    return raw - (float(dark.mean()) if dark.size else 0.0)


def _pictures(
    ctx: StepContext, label: str, frames: list[np.ndarray], order: int, start: float, span: float
) -> list[np.ndarray]:
    count = chunk_count(order)
    parts: list[list[np.ndarray]] = [[] for _ in frames]
    for k, chunk in enumerate(walsh_chunks(order, ctx.masks.shape)):
        ctx.report(start + span * k / count, f"registration: {label} ({k + 1}/{count})")
        records = ctx.capturer.capture(
            f"registration-{label}",
            frames,
            chunk,
            reference_every=64,
            averages=ctx.settings.registration_averages,
        )
        for r in records:
            parts[r.scene_index].append(walsh_values(r))
    return [reconstruct(np.concatenate(p), order) for p in parts]


def run(ctx: StepContext) -> StepOutcome:
    settings = ctx.settings
    order = walsh_order(ctx.masks.shape, settings.walsh_order)
    target = dot_target(GRID / order)
    drawn = ctx.renderer()
    plain = SceneRenderer(Affine.identity(), drawn.monitor_lut)
    target_frame = plain.render_linear(target.linear_image())
    black, white, dots_pic = _pictures(
        ctx, "black, white, dots", [uniform(0), uniform(255), target_frame], order, 0.0, 0.6
    )
    flat = fit_flat_field(white - black)
    flat_blocks = flat_on_blocks(flat.map, order)
    corrected = (dots_pic - black) / flat_blocks
    affine = Affine.identity()
    for _ in range(2):  # the second pass centres the search on the fitted positions
        dots = locate_dots(corrected, target, affine)
        affine, residuals = fit_registration(dots)
    fit_rms = float(np.sqrt(np.nanmean(np.sum(residuals**2, axis=1))))
    registered = SceneRenderer(affine, drawn.monitor_lut, flat_field=flat.map, flat_ref=flat.ref)
    unflat = SceneRenderer(affine, drawn.monitor_lut)
    v_dots, v_white = _pictures(
        ctx,
        "verification",
        [
            unflat.render_linear(target.linear_image()),
            registered.render_linear(np.ones((GRID, GRID, 3))),
        ],
        order,
        0.6,
        0.4,
    )
    check = locate_dots((v_dots - black) / flat_blocks, target, Affine.identity())
    errors = np.linalg.norm(check.found - target.centres, axis=1)
    verify_rms = float(np.sqrt(np.nanmean(errors**2)))
    # the verified error of the MAP: an affine through the re-imaged dots, compared with
    # "every dot where it belongs" over the whole mask area (single dots are noisier)
    seen = np.isfinite(check.found).all(axis=1)
    if seen.sum() >= 4:
        remaining, _ = fit_affine(target.centres[seen], check.found[seen])
        verify_max = remaining.max_distance(Affine.identity())
    else:
        verify_max = float("nan")
    mask_px = GRID / min(ctx.masks.shape)  # one target mask pixel in grid pixels
    even = v_white - black
    level = float(np.median(even))
    coverage_after = covered_fraction(affine)
    interior = flat.valid
    flatness = float(np.sqrt(np.mean((even[interior] / level - 1.0) ** 2)))
    problems = []
    if not np.isfinite(verify_max) or verify_max > settings.max_registration_error_px * mask_px:
        problems.append(
            f"verified registration error {verify_max:.2f} px exceeds "
            f"{settings.max_registration_error_px:g} mask pixel"
        )
    if fit_rms > settings.max_fit_residual_px * mask_px:
        problems.append(
            f"the dots do not fit an affine map (residual {fit_rms:.2f} px rms): lens distortion "
            "or a tilted monitor?"
        )
    if coverage_after < settings.min_coverage:
        problems.append(
            f"the monitor image covers only {coverage_after * 100:.1f} % of the mask area "
            f"(scale {affine.scale:.4f}, shift {affine.centre_shift()[0]:+.1f}, "
            f"{affine.centre_shift()[1]:+.1f} px, rotation {affine.rotation_deg:+.2f}°): the "
            "vectors cannot match the simulation; enlarge the monitor image on the DMD or "
            "re-centre it, then re-run"
        )
    if flatness > settings.max_flatness_error and coverage_after >= settings.min_coverage:
        problems.append(f"the flat-field compensation leaves {flatness * 100:.2f} % rms unevenness")
    shift = affine.centre_shift()
    n_dots = int(np.isfinite(residuals[:, 0]).sum())
    summary = (
        f"{affine.describe()}; fit residual {fit_rms:.3f} px rms over {n_dots} "
        f"dots; verified error {verify_max:.3f} px (map, worst over the area; dots "
        f"{verify_rms:.3f} px rms); vignetting "
        f"{(1 - flat.ref) * 100:.1f} % at worst, compensated to {flatness * 100:.2f} % rms; "
        f"coverage {coverage_after * 100:.1f} %"
    )
    if problems:
        summary = "; ".join(problems) + f" — {summary}"

    def draw(figure: Figure) -> None:
        axes = figure.subplots(1, 3)
        extent = (0, GRID, GRID, 0)
        axes[0].imshow(corrected, cmap="gray", extent=extent)
        axes[0].plot(*dots.found.T, "r+", ms=8)
        axes[0].plot(*dots.expected.T, "c.", ms=3)
        axes[0].set_title("dot target on the mask area (+ found, · scene position)")
        err = np.nan_to_num(residuals)
        axes[1].quiver(
            dots.expected[:, 0],
            dots.expected[:, 1],
            err[:, 0],
            -err[:, 1],
            angles="xy",
            scale_units="xy",
            scale=0.01,
        )
        axes[1].set_xlim(0, GRID)
        axes[1].set_ylim(GRID, 0)
        axes[1].set_aspect("equal")
        axes[1].set_title(f"affine fit residuals ×100 ({fit_rms:.3f} px rms)")
        im = axes[2].imshow(even / level, cmap="viridis", extent=extent, vmin=0.95, vmax=1.05)
        figure.colorbar(im, ax=axes[2], shrink=0.8)
        axes[2].set_title(f"compensated white ({flatness * 100:.2f} % rms)")

    result = RegistrationResult(
        ok=not problems,
        summary=summary,
        created_utc=ctx.created_utc,
        figure="registration.png",
        walsh_order=order,
        affine=affine.to_list(),
        scale=affine.scale,
        rotation_deg=affine.rotation_deg,
        shift_px=(float(shift[0]), float(shift[1])),
        dots=n_dots,
        fit_residual_rms_px=fit_rms,
        verify_error_max_px=verify_max if np.isfinite(verify_max) else 1e9,
        verify_error_rms_px=verify_rms if np.isfinite(verify_rms) else 1e9,
        coverage_before=flat.coverage,
        coverage_after=coverage_after,
        flat_ref=flat.ref,
        flat_residual_rms=flat.residual_rms,
        flatness_after=flatness,
    )
    arrays = {
        "registration_flat_field": flat.map.astype(np.float32),
        "registration_black": black.astype(np.float32),
        "registration_white": white.astype(np.float32),
        "registration_dots": dots_pic.astype(np.float32),
        "registration_dots_found": dots.found,
        "registration_dots_expected": dots.expected,
        "registration_verify_white": v_white.astype(np.float32),
    }
    return StepOutcome(result, arrays, render_png(draw, size_in=(15, 4.5)))
