"""The QA report on sessions with known contents: every figure checked against what was
written (flags, missing and duplicate records, drift, gaps, throughput), plus the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.batch.report import build_report, write_report
from lsi_rig.cli.app import main
from lsi_rig.core.flags import RecordFlags
from lsi_rig.storage import RunStatus

from .helpers import make_images, synthetic_session

SAT, NEAR, EXTRA = RecordFlags.SATURATED, RecordFlags.NEAR_SATURATION, RecordFlags.EXTRA_EDGES


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    return make_images(tmp_path / "imgs", [f"s{i:02d}" for i in range(10)], size=8)


def test_counts_coverage_drift_timing_and_throughput(tmp_path: Path, images: list[Path]) -> None:
    made = synthetic_session(
        tmp_path / "s.h5",
        images,
        repeats=2,
        flags={0: int(SAT | EXTRA), 3: int(NEAR), 7: int(EXTRA)},
        skip={(4, 1), (6, 0), (6, 1)},  # scene 6 never measured, scene 4 half
        duplicate=[(2, 0)],
        gaps_s={5: 120.0},  # a two-minute interruption after record 5
        bright_trend=0.10,  # the source brightens by 10 % over the batch
        status=RunStatus.INTERRUPTED,
    )
    m = len(made.table)  # 20 planned - 3 skipped + 1 duplicate = 18
    assert m == 18
    report = build_report(made.path)
    s = report.summary
    assert s["session"]["status"] == "interrupted" and s["session"]["records"] == m
    assert s["session"]["batch"] and s["session"]["scenes"] == 10
    assert s["session"]["runs"] == 1  # the writer's "session … created" line
    cov = s["coverage"]
    assert (cov["planned"], cov["recorded"], cov["unique"], cov["duplicates"]) == (20, 18, 17, 1)
    assert cov["missing"] == 3 and cov["scenes_incomplete"] == 2
    assert cov["missing_scene_ids"] == ["s04", "s06"]
    assert cov["missing_keys"] == [[4, 1], [6, 0], [6, 1]] and not cov["complete"]
    assert cov["repeats"] == 2 and cov["repeats_from"] == "batch settings"
    assert s["flags"]["records_flagged"] == 3
    assert s["flags"]["by_kind"] == {"SATURATED": 1, "NEAR_SATURATION": 1, "EXTRA_EDGES": 2}
    assert s["saturation"]["saturated"] == 1 and s["saturation"]["near_saturation"] == 1
    expected_peak = np.abs(made.samples).max(axis=1).max() / 10.0
    assert s["saturation"]["max_fraction_of_range"] == pytest.approx(expected_peak, rel=1e-6)
    bright = s["bright_reference"]
    level = 1.0 + 0.10 * np.arange(m) / m
    assert bright["block_records"] == 5  # at least 5 records per block
    assert bright["first_v"] == pytest.approx(np.median(level[:5]), rel=1e-6)
    assert bright["last_v"] == pytest.approx(np.median(level[10:15]), rel=1e-6)
    # the fitted line over the records: +0.10 V over the batch, relative to the first block
    assert bright["trend_pct"] == pytest.approx(100 * 0.10 / bright["first_v"], rel=1e-6)
    assert bright["within_record_pct"]["max"] == pytest.approx(0.0, abs=1e-4)
    assert s["dark_reference"]["first_v"] == pytest.approx(0.002, rel=1e-5)
    assert s["dark_reference"]["max_change_v"] == pytest.approx(0.0, abs=1e-7)
    timing = s["timing"]
    assert timing["record_ms"]["median"] == pytest.approx(30.0)
    assert timing["gap_ms"]["median"] == pytest.approx(5.0)
    assert timing["n_long_gaps"] == 1
    assert timing["long_gaps"] == [{"after_record": 5, "gap_s": pytest.approx(120.005)}]
    span = (m * 35e-3 - 5e-3) + 120.0
    assert timing["span_s"] == pytest.approx(span)
    assert timing["active_s"] == pytest.approx(span - 120.005)
    tp = s["throughput"]
    assert tp["records_per_hour_active"] == pytest.approx(3600 * m / (span - 120.005))
    assert tp["records_per_hour"] == pytest.approx(3600 * m / span)
    text = report.to_text()
    for needle in (
        "17 of 20 planned records",
        "1 duplicate(s)",
        "3 record(s) of 2 scene(s): s04, s06",
        "EXTRA_EDGES 2, NEAR_SATURATION 1, SATURATED 1",
        "1 interruption(s) longer than",
        "after record 5: 120.0 s",
        "fitted trend over the batch +9.89 %",
    ):
        assert needle in text, text
    assert json.loads(report.to_json()) == json.loads(json.dumps(s, default=str))


def test_plots_and_files(tmp_path: Path, images: list[Path]) -> None:
    made = synthetic_session(tmp_path / "s.h5", images, flags={1: int(EXTRA)})
    written = write_report(build_report(made.path), tmp_path / "out" / "qa")
    names = sorted(p.name for p in written)
    assert names == [
        "drift.png",
        "flags.png",
        "report.json",
        "report.txt",
        "throughput.png",
        "timing.png",
    ]
    for path in written:
        if path.suffix == ".png":
            with Image.open(path) as img:
                assert img.format == "PNG" and img.size[0] >= 600 and img.size[1] >= 300
                assert np.unique(np.asarray(img.convert("L"))).size > 10  # something drawn


def test_sessions_without_references_times_or_batch_metadata(
    tmp_path: Path, images: list[Path]
) -> None:
    made = synthetic_session(tmp_path / "s.h5", images[:3], reference_every=None, batch=False)
    s = build_report(made.path).summary
    assert s["bright_reference"] is None and s["dark_reference"] is None
    assert s["coverage"]["repeats_from"] == "inferred from the records"
    assert not s["session"]["batch"]
    assert "none (captured without references)" in build_report(made.path).to_text()
    write_report(build_report(made.path), tmp_path / "qa")  # plots cope with missing data


def test_cli_report(tmp_path: Path, images: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    made = synthetic_session(tmp_path / "s.h5", images)
    assert main(["report", str(made.path)]) == 0
    assert capsys.readouterr().out.startswith(f"QA report: {made.path}")
    assert main(["report", str(made.path), "--json", "--out", str(tmp_path / "qa")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["coverage"]["complete"] is True
    assert (tmp_path / "qa" / "timing.png").is_file()
    for args, needle in (
        ([str(tmp_path / "none.h5")], "does not exist"),
        ([str(images[0])], "not an HDF5 file"),
        ([str(made.path), "--out", str(images[0])], "a file of that name exists"),
    ):
        assert main(["report", *args]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and needle in err[0], err
