"""``lsi-rig models train-demo`` and ``lsi-rig evaluate`` through the installed CLI framework."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lsi_rig.cli.app import main


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "model"
    code = main(
        [
            "models",
            "train-demo",
            "--out",
            str(out),
            "--counts",
            "4,16",
            "--faces",
            "64",
            "--minutes",
            "0.05",
            "--quiet",
        ]
    )
    assert code == 0
    return out


def test_train_demo_writes_a_loadable_model(
    tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads((tiny_model / "model.json").read_text())
    assert sorted(manifest["counts"]) == ["16", "4"]
    assert manifest["training"]["config"]["faces"] == 64
    assert manifest["training"]["config"]["stage1_steps"] == 4  # round(900 · 0.05 / 10)
    assert manifest["training"]["config"]["parsing_steps"] == 2  # round(300 · 0.05 / 10)
    assert manifest["training"]["timings_s"]["cpu_s"] > 0


def test_evaluate_on_the_ideal_sim_rig(
    tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            "--model",
            str(tiny_model),
            "--images",
            "procedural:3",
            "--rig",
            "sim-ideal",
            "--out",
            str(out),
            "--no-identity",
        ]
    )
    assert code == 0
    rows = list(csv.DictReader((out / "table.csv").read_text().splitlines()))
    assert [r["n"] for r in rows] == ["4", "16"] and all(r["images"] == "3" for r in rows)
    assert all(0 <= float(r["attribute_accuracy"]) <= 100 for r in rows)
    assert (out / "sessions" / "demo_4.h5").is_file() and (out / "plots" / "psnr_db.png").is_file()
    assert "| n |" in capsys.readouterr().out
    # the captured sessions decode again without a rig, to the same numbers
    again = tmp_path / "again"
    code = main(
        [
            "evaluate",
            "--model",
            f"{tiny_model}:4",
            "--images",
            "procedural:3",
            "--session",
            str(out / "sessions" / "demo_4.h5"),
            "--out",
            str(again),
            "--no-identity",
        ]
    )
    assert code == 0
    first = rows[0]
    second = next(csv.DictReader((again / "table.csv").read_text().splitlines()))
    assert second["psnr_db"] == first["psnr_db"] and second["landmark_nme"] == first["landmark_nme"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "demo:5", "--images", "procedural:2"], "no [5]-measurement version"),
        (["--model", "demo", "--images", "procedural:two"], "procedural:K"),
        (["--model", "nonsense", "--images", "procedural:2"], "expected demo, demo:N"),
        (["--model", "x.pt", "--images", "procedural:2"], "needs --generator"),
        (["--model", "demo", "--counts", "4,7", "--images", "procedural:2"], "each count must be"),
        (["--model", "demo:4", "--counts", "16", "--images", "procedural:2"], "disagrees"),
        (["--model", "demo:4", "--images", "procedural:2", "--rig", "nope"], "nope"),
    ],
)
def test_evaluate_user_errors_are_one_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evaluate", *args, "--out", str(tmp_path / "o"), "--no-identity"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_session_through_other_masks_is_refused(
    tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "e"
    assert (
        main(
            [
                "evaluate",
                "--model",
                f"{tiny_model}:4",
                "--images",
                "procedural:2",
                "--rig",
                "sim-ideal",
                "--out",
                str(out),
                "--no-identity",
            ]
        )
        == 0
    )
    code = main(
        [
            "evaluate",
            "--model",
            f"{tiny_model}:16",
            "--images",
            "procedural:2",
            "--session",
            str(out / "sessions" / "demo_4.h5"),
            "--out",
            str(tmp_path / "f"),
            "--no-identity",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no --session was captured through the masks of demo:16" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--counts", "5"], "each count must be one of"),
        (["--counts", "a,b"], "comma-separated integers"),
    ],
)
def test_train_demo_user_errors(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["models", "train-demo", "--out", str(tmp_path / "m"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and not (tmp_path / "m").exists()
