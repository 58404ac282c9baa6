"""Rendering a :class:`FaceParams` into pixels, a parsing map, landmarks and attributes.

Painter's order (back to front): background, back hair, clothes and tie, neck and necklace,
ears and earrings, the shaded face, facial hair, eyes, brows, nose, moustache, mouth, goatee,
front hair (fringe, bangs, sideburns), glasses, hat. The moustache goes before the lips so
they stay visible; the goatee after them. Everything is numpy on the pixel grid, so a
face is bit-identical for the same parameters and size on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.scenes.faces import features as F
from lsi_rig.scenes.faces.canvas import FaceCanvas, band_cover, edge, ellipse_cover, polar_cover
from lsi_rig.scenes.faces.params import Beard, FaceParams, HairLength
from lsi_rig.scenes.faces.pose import HeadPose
from lsi_rig.scenes.faces.truth import attribute_values

BACKGROUND, NECK, CLOTH, RR, LR, HAIR, EYEG, HAT, EARR, NECK_L = 0, 1, 3, 4, 5, 14, 15, 16, 17, 18


@dataclass(frozen=True)
class FaceRender:
    """A rendered face and its exact ground truth.

    ``landmarks_px``: 68 iBUG-300W points (x = column, y = row) in pixels with pixel centres at
    integers; ``attributes``: the CelebA attributes the renderer controls, by name
    (``KNOWN_ATTRIBUTES``); the others are unknown.
    """

    image: np.ndarray  # uint8 [H, W, 3]
    segmentation: np.ndarray  # uint8 [H, W], SEGMENTATION_CLASSES indices
    landmarks_px: np.ndarray  # float32 [68, 2]
    attributes: dict[str, bool]
    params: FaceParams


def _background(p: FaceParams, size: int) -> np.ndarray:
    c = ((np.arange(size) + 0.5) / size - 0.5).astype(np.float32)
    t = np.cos(p.background_angle) * c[None, :] + np.sin(p.background_angle) * c[:, None]
    t = ((t + 0.71) / 1.42)[..., None]
    a = np.asarray(p.background_a, dtype=np.float32)
    return a + t * (np.asarray(p.background_b, dtype=np.float32) - a)


def _hair_tone(p: FaceParams, x: np.ndarray, y: np.ndarray, s: float) -> np.ndarray:
    """Hair colour with strands: straight vertical streaks, or waves when ``wavy_hair``."""
    phase = 3.0 * np.sin(y / (0.035 * s)) if p.wavy_hair else 0.0
    streaks = 0.86 + 0.14 * np.sin(x / (0.006 * s) + phase)
    return np.asarray(p.hair_rgb) * streaks[..., None]


def _back_hair(cv: FaceCanvas, p: FaceParams, a: float, b: float) -> None:
    if p.bald:
        return
    s = p.scale
    th = 0.03 * s if p.hair_length == HairLength.SHORT else 0.05 * s
    bottom = {
        HairLength.SHORT: -0.1 * b + 0.09 * s,
        HairLength.MEDIUM: 0.75 * b,
        HairLength.LONG: b + 0.2 * s,
    }[p.hair_length]
    top = -(b + th)
    box = cv.box(0.0, (top + bottom) / 2, a + th + 0.03 * s, (bottom - top) / 2 + 0.01)
    x, y = cv.local(box)
    half = (a + th) * np.sqrt(np.clip(1 - (np.minimum(y, 0) / (b + th)) ** 2, 0, 1))
    if p.wavy_hair:
        half = half + 0.012 * s * np.sin(y / (0.025 * s)) * (y > -0.5 * b)
    cover = edge(half - np.abs(x), cv.px) * edge(bottom - y, cv.px) * edge(y - top, cv.px)
    cv.paint(box, cover, _hair_tone(p, x, y, s), HAIR)


def _body(cv: FaceCanvas, p: FaceParams, a: float, b: float, chin_x: float) -> None:
    s = p.scale
    box = cv.box(0.0, b + 0.3 * s, 0.5 * s, 0.3 * s)
    x, y = cv.local(box)
    cv.paint(
        box, ellipse_cover(x, y, 0.0, b + 0.32 * s, 0.44 * s, 0.24 * s, cv.px), p.cloth_rgb, CLOTH
    )
    neck_w = (0.62 if p.chubby else 0.52) * a
    xn = 0.5 * chin_x
    box = cv.box(xn, 0.7 * b + 0.06 * s, neck_w + 0.01, 0.3 * b + 0.1 * s)
    x, y = cv.local(box)
    u = x - xn
    collar = b + 0.05 * s + 0.07 * s * np.clip(1 - np.abs(u) / neck_w, 0, 1)
    neck = edge(neck_w - np.abs(u), cv.px) * edge(y - 0.3 * b, cv.px) * edge(collar - y, cv.px)
    cv.paint(box, neck, np.asarray(p.skin_rgb) * 0.72 * (0.9 + 0.1 * p.exposure), NECK)
    if p.necktie:
        ty = b + 0.07 * s
        box = cv.box(xn, ty + 0.1 * s, 0.04 * s, 0.12 * s)
        x, y = cv.local(box)
        u, v = x - xn, y - ty
        width = np.where(v < 0.02 * s, 0.012 * s, 0.012 * s + 0.2 * (v - 0.02 * s))
        tie = edge(np.minimum(width, 0.03 * s) - np.abs(u), cv.px) * edge(v + 0.01 * s, cv.px)
        tie *= edge(0.2 * s - v, cv.px)
        colour = 1.0 - np.asarray(p.cloth_rgb) * 0.8
        cv.paint(box, tie, colour, CLOTH)
    if p.necklace:
        box = cv.box(xn, b + 0.04 * s, neck_w + 0.02 * s, 0.07 * s)
        x, y = cv.local(box)
        u = x - xn
        chain_y = b - 0.01 * s + 0.06 * s * np.clip(1 - (u / (neck_w * 1.05)) ** 2, 0, 1)
        chain = edge(0.0035 * s - np.abs(y - chain_y), cv.px) * edge(
            neck_w * 1.05 - np.abs(u), cv.px
        )
        chain = np.maximum(
            chain, ellipse_cover(u, y, 0.0, b + 0.058 * s, 0.008 * s, 0.01 * s, cv.px)
        )
        cv.paint(box, chain, (0.85, 0.75, 0.35), NECK_L)


def _ears(
    cv: FaceCanvas, p: FaceParams, pose: HeadPose, a: float, lay: F.Layout, skin: np.ndarray
) -> None:
    s = p.scale
    ear_y = lay.eye_y + 0.045 * s
    for side, label in ((-1, RR), (1, LR)):
        ex = side * a * np.cos(pose.yaw) - 0.2 * a * np.sin(pose.yaw)
        box = cv.box(ex, ear_y, 0.04 * s, 0.07 * s)
        x, y = cv.local(box)
        cv.paint(
            box, ellipse_cover(x, y, ex, ear_y, 0.03 * s, 0.055 * s, cv.px), skin * 0.82, label
        )
        if p.earrings and abs(ex) > 0.96 * a:
            ring = ellipse_cover(
                x, y, ex + side * 0.006 * s, ear_y + 0.06 * s, 0.009 * s, 0.009 * s, cv.px
            )
            cv.paint(box, ring, (0.92, 0.8, 0.3), EARR)


def _face(
    cv: FaceCanvas, p: FaceParams, pose: HeadPose, a: float, b: float, skin: np.ndarray
) -> tuple[np.ndarray, tuple[slice, slice], np.ndarray]:
    """Shaded face; returns its contour, box and coverage (for clipping facial hair)."""
    contour = pose.outline(p.jaw_squareness)
    box = cv.box(0.0, 0.0, a * 1.05 + 0.01, b * 1.05 + 0.01)
    x, y = cv.local(box)
    cover = polar_cover(x, y, contour, cv.px)
    light = np.array([p.light_x, p.light_y, 1.0])
    light /= np.linalg.norm(light)
    nz = np.sqrt(np.clip(1 - (x / a) ** 2 - (y / b) ** 2, 0, 1))
    lit = np.clip(light[0] * x / a + light[1] * y / b + light[2] * nz, 0, 1)
    shade = p.ambient + (1 - p.ambient) * lit
    cv.paint(box, cover, skin * shade[..., None], F.FACE)
    return contour, box, cover


def _facial_hair(
    cv: FaceCanvas,
    p: FaceParams,
    box: tuple[slice, slice],
    cover: np.ndarray,
    lay: F.Layout,
    a: float,
) -> None:
    x, y = cv.local(box)
    s = p.scale
    hair = np.asarray(p.hair_rgb) * 0.8
    if p.stubble or p.beard == Beard.FULL:
        top = lay.mouth_y - 0.03 * s - (lay.mouth_y - lay.eye_y - 0.09 * s) * (x / a) ** 2
        region = cover * edge(y - top, cv.px)
        if p.beard == Beard.FULL:
            cv.paint(box, region * 0.92, _hair_tone(p, x, y, s) * 0.8, F.FACE)
        else:
            cv.paint(box, region * 0.3, (0.25, 0.27, 0.3))
    if p.rosy_cheeks:
        for side in (-1, 1):
            cheek = ellipse_cover(
                x, y, side * 0.55 * a, lay.eye_y + 0.085 * s, 0.035 * s, 0.025 * s, cv.px
            )
            cv.paint(box, cheek * cover * 0.45, (0.95, 0.45, 0.5))
    if p.double_chin:
        fold = edge(
            0.004 * s - np.abs(np.hypot(x / (0.5 * a), (y - 0.55 * lay.s) / 0.1) - 1), cv.px
        )
        cv.paint(box, fold * cover * 0.5, hair * 0 + np.asarray(p.skin_rgb) * 0.6)


def _front_hair(
    cv: FaceCanvas,
    p: FaceParams,
    box: tuple[slice, slice],
    cover: np.ndarray,
    lay: F.Layout,
    a: float,
    b: float,
) -> None:
    if p.bald:
        return
    x, y = cv.local(box)
    s = p.scale
    xa = x / a
    if p.bangs:
        line = lay.eye_y + lay.brow_dy - 0.028 * s + 0.004 * s * np.sin(x / (0.01 * s))
    elif p.receding:
        line = -0.8 * b + 0.1 * b * xa**2 - 0.14 * b * np.exp(-(((np.abs(xa) - 0.5) / 0.2) ** 2))
    else:
        line = -0.62 * b + 0.3 * b * xa**2
    fringe = cover * edge(line - y, cv.px)
    cv.paint(box, fringe, _hair_tone(p, x, y, s), HAIR)
    if p.sideburns:
        for side in (-1, 1):
            strip = edge(0.016 * s - np.abs(x - side * (a - 0.018 * s)), cv.px)
            strip *= edge(y - (lay.eye_y - 0.03 * s), cv.px) * edge(lay.eye_y + 0.09 * s - y, cv.px)
            cv.paint(box, strip * cover, _hair_tone(p, x, y, s) * 0.9, HAIR)


def _mustache(cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: F.Layout) -> None:
    """Between the nose and the upper lip; painted before the lips, which stay visible."""
    s = p.scale
    colour = np.asarray(p.hair_rgb) * 0.7
    if p.mustache:
        cx, cy = pose.warp(0.0, lay.nose_tip_y + 0.026 * s, 0.3)
        w = pose.squeeze(0.0, lay.mouth_y, p.mouth_width * s) * 1.05
        box = cv.box(cx, cy, w * 1.1, 0.03 * s)
        x, y = cv.local(box)
        u, v = x - cx, y - cy
        lip_top = lay.mouth_y - lay.nose_tip_y - 0.026 * s - p.lip_thickness * s
        band = band_cover(
            u,
            v,
            w,
            lambda q: -0.008 * s + 0 * q,
            lambda q: lip_top - 0.003 * s + 0.006 * s * (q / w) ** 2,
            cv.px,
        )
        cv.paint(box, band, colour, F.FACE)


def _goatee(
    cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: F.Layout, lip_bottom: float
) -> None:
    s = p.scale
    colour = np.asarray(p.hair_rgb) * 0.7
    if p.beard == Beard.GOATEE:
        cx = pose.warp(0.0, lay.mouth_y, 0.15)[0]
        cy = lip_bottom + 0.032 * s
        box = cv.box(cx, cy, 0.05 * s, 0.045 * s)
        x, y = cv.local(box)
        patch = ellipse_cover(x, y, cx, cy, 0.034 * s, 0.028 * s, cv.px)
        patch *= edge(y - lip_bottom - 0.002 * s, cv.px)
        cv.paint(box, patch, colour, F.FACE)


def _glasses(cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: F.Layout, a: float) -> None:
    s = p.scale
    t = 0.005 * s
    centres = []
    for side in (-1, 1):
        x0 = side * lay.eye_dx
        cx, cy = pose.warp(x0, lay.eye_y)
        w = pose.squeeze(x0, lay.eye_y, lay.eye_w) * 1.38
        centres.append((cx, cy, w))
        box = cv.box(cx, cy, w + 0.01, 0.04 * s)
        x, y = cv.local(box)
        outer = ellipse_cover(x, y, cx, cy, w + t, 0.033 * s + t, cv.px)
        inner = ellipse_cover(x, y, cx, cy, w, 0.033 * s, cv.px)
        cv.paint(box, inner * 0.12, (0.6, 0.7, 0.8))
        cv.paint(box, np.clip(outer - inner, 0, 1), p.glasses_rgb, EYEG)
        temple_x = side * a * np.cos(pose.yaw) - 0.2 * a * np.sin(pose.yaw)
        lo, hi = sorted((cx + side * w, temple_x))
        tbox = cv.box((lo + hi) / 2, cy - 0.015 * s, (hi - lo) / 2 + 0.005, 0.01 * s)
        x, y = cv.local(tbox)
        arm = edge(t / 2 - np.abs(y - (cy - 0.015 * s)), cv.px) * edge(x - lo, cv.px)
        arm *= edge(hi - x, cv.px)
        cv.paint(tbox, arm, p.glasses_rgb, EYEG)
    (lx, ly, lw), (rx, ry, rw) = centres
    lo, hi = lx + lw, rx - rw
    by = (ly + ry) / 2 - 0.02 * s
    box = cv.box((lo + hi) / 2, by, max(hi - lo, 0.0) / 2 + 0.005, 0.01 * s)
    x, y = cv.local(box)
    bridge = edge(t / 2 - np.abs(y - by), cv.px) * edge(x - lo + t, cv.px) * edge(hi + t - x, cv.px)
    cv.paint(box, bridge, p.glasses_rgb, EYEG)


def _hat(cv: FaceCanvas, p: FaceParams, a: float, b: float) -> None:
    s = p.scale
    brim = -0.55 * b
    box = cv.box(0.0, -b, a + 0.08 * s, 0.55 * b + 0.06 * s)
    x, y = cv.local(box)
    dome = ellipse_cover(x, y, 0.0, brim, a + 0.035 * s, b * 0.55 + 0.06 * s, cv.px)
    dome *= edge(brim + 0.01 * s - y, cv.px)
    band = edge(a + 0.05 * s - np.abs(x), cv.px) * edge(y - (brim - 0.025 * s), cv.px)
    band *= edge(brim + 0.012 * s - y, cv.px)
    tone = np.asarray(p.hat_rgb) * (0.9 + 0.1 * np.sin(y / (0.008 * s)))[..., None]
    cv.paint(box, np.maximum(dome, band), tone, HAT)


def render_face(p: FaceParams, size: int = 256) -> FaceRender:
    """Draw ``p`` at ``size``×``size`` pixels with its parsing map, landmarks and attributes."""
    s = p.scale
    a, b = p.face_width * s, p.face_length * s
    pose = HeadPose(a, b, p.yaw, p.pitch)
    lay = F.Layout.of(p, a, b)
    skin = np.asarray(p.skin_rgb)
    cv = FaceCanvas(_background(p, size), (p.centre_x, p.centre_y), p.roll)
    chin_x = float(pose.contour_points(np.array([np.pi / 2]), p.jaw_squareness)[0][0])
    _back_hair(cv, p, a, b)
    _body(cv, p, a, b, chin_x)
    _ears(cv, p, pose, a, lay, skin)
    _, box, cover = _face(cv, p, pose, a, b, skin)
    _facial_hair(cv, p, box, cover, lay, a)
    eyes = F.eyes(cv, p, pose, lay, skin)
    brows = F.brows(cv, p, pose, lay)
    nose = F.nose(cv, p, pose, lay, p.ambient + (1 - p.ambient) * 0.9, skin)
    _mustache(cv, p, pose, lay)
    mouth, lip_bottom = F.mouth(cv, p, pose, lay)
    _goatee(cv, p, pose, lay, lip_bottom)
    _front_hair(cv, p, box, cover, lay, a, b)
    if p.eyeglasses:
        _glasses(cv, p, pose, lay, a)
    if p.hat:
        _hat(cv, p, a, b)
    t = np.pi + 0.1 - np.arange(17) * (np.pi + 0.2) / 16
    jx, jy = pose.contour_points(t, p.jaw_squareness)
    jaw = np.stack([jx * 0.985, jy * 0.985], axis=1)  # just inside the outline
    head_points = np.concatenate([jaw, brows, nose, eyes, mouth])
    landmarks = cv.to_image_px(head_points[:, 0], head_points[:, 1]).astype(np.float32)
    image = np.round(np.clip(cv.img * p.exposure, 0, 1) * 255).astype(np.uint8)
    return FaceRender(image, cv.label, landmarks, attribute_values(p), p)
