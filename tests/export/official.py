"""The official LSI loaders' rules, re-implemented from ``evaluation-and-finetuning.md`` §2–3
(not their code): what an export must satisfy without edits."""

from __future__ import annotations

import glob
import os

import numpy as np


def finetune_pairs(root: str, n: int, split: str) -> list[tuple[np.ndarray, str]]:
    """(vector, ground-truth path) pairs as ``datasets/images_dataset.py`` builds them with
    ``--ini_w ft``, run from ``root``: Train by the sorted order of both listings, Test by
    swapping ``.npz`` for ``.jpg`` in the measurement path."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        folder = "Train" if split == "train" else "Test"
        path_m = f"DMD_DATA/FineTune/{n}/{folder}/"
        measurements = sorted(
            os.path.join(path_m, f)
            for f in os.listdir(path_m)
            if os.path.isfile(os.path.join(path_m, f))
        )
        path_gt = "DMD_DATA/DMD_TRAINSET/gt/" if split == "train" else "DMD_DATA/DMD_TESTSET/gt/"
        images = sorted(
            os.path.join(path_gt, f)
            for f in os.listdir(path_gt)
            if os.path.isfile(os.path.join(path_gt, f))
        )
        if split == "test":
            images = [
                m.replace(f"FineTune/{n}/Test/", "DMD_TESTSET/gt/").replace(".npz", ".jpg")
                for m in measurements
            ]
        assert len(images) == len(measurements)
        out = []
        for m, image in zip(measurements, images, strict=True):
            vector = np.load(m)["array"]
            assert os.path.isfile(image), image
            out.append((vector, os.path.join(root, image)))
        return out
    finally:
        os.chdir(cwd)


def notebook_items(root: str, n: int) -> list[tuple[str, np.ndarray, str]]:
    """(stem, vector, ground truth) as ``inference_real.ipynb`` reads them."""
    files = sorted(glob.glob(os.path.join(root, f"datasets/real/{n}/") + "*.npz"))
    out = []
    for f in files:
        name = f.split("/")[-1]
        vector = np.load(f)["array"]
        out.append((name[:-4], vector, os.path.join(root, "datasets/images/" + name[:-4] + ".jpg")))
    return out


def load_attributes(path: str, images: list[str]) -> np.ndarray:
    """``utils/metrics_downstream.load_attributes``' rule: walk the label file in its own order,
    keep the lines whose stem is among the images, stack them."""
    names = [n.split("/")[-1][:-4] for n in images]
    rows = []
    with open(path) as handle:
        for line in handle:
            a = line.split()
            if a and a[0][:-4] in names and len(a) > 1:
                rows.append([float(v) for v in a[1:]])
    return np.array(rows)
