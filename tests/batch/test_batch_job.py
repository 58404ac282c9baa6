"""A batch on the ideal simulated rig: the capture job over a manifest, ground truth in the
session, the scan order, steering, the report at the end, and the CLI's one-line errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.batch import (
    BatchJob,
    BatchRequest,
    BatchSettings,
    ReportWritten,
    ScanOrder,
    ScenesChecked,
    batch_info,
    read_celeba_attributes,
    read_manifest_csv,
)
from lsi_rig.batch.order import scene_order
from lsi_rig.cli.app import main
from lsi_rig.config import load_rig
from lsi_rig.config.load import dump_rig
from lsi_rig.core.calibration import CalibrationSnapshot
from lsi_rig.core.errors import SessionError
from lsi_rig.jobs import JobState, RecordCommitted, StateChanged
from lsi_rig.jobs.resume import plan_differences
from lsi_rig.masks import load_masks
from lsi_rig.storage import open_session

from .helpers import make_images, write_attributes, write_manifest

N = 12
MASKS = "demo:hadamard16:8"


@pytest.fixture
def dataset(tmp_path: Path) -> dict[str, Path]:
    stems = [f"{i:06d}" for i in range(N)]
    make_images(tmp_path / "imgs", stems, size=16)
    rows = [
        [s, f"imgs/{s}.png", "train" if i % 3 else "test", "m" if i % 2 else "f"]
        for i, s in enumerate(stems)
    ]
    manifest = write_manifest(tmp_path / "m.csv", rows, header="id,path,split,gender")
    write_attributes(tmp_path / "attr.txt", stems[:-1])  # the last scene has no label line
    return {"root": tmp_path, "manifest": manifest, "labels": tmp_path / "attr.txt"}


def _request(dataset: dict[str, Path], **kw: object) -> BatchRequest:
    values: dict[str, object] = {
        "rig_config": load_rig("sim-ideal"),
        "masks": load_masks(MASKS),
        "manifest": read_manifest_csv(dataset["manifest"]),
        "out": dataset["root"] / "batch.h5",
        "settings": BatchSettings(order=ScanOrder.SHUFFLED, seed=11, size=16),
        "attributes": read_celeba_attributes(dataset["labels"]),
    }
    values.update(kw)
    return BatchRequest(**values)  # type: ignore[arg-type]


def test_a_batch_stores_order_splits_labels_and_writes_its_report(
    dataset: dict[str, Path],
) -> None:
    job = BatchJob(_request(dataset))
    events: list[object] = []
    job.subscribe(events.append)
    result = job.run()
    assert result.job.status == "complete" and result.job.state is JobState.FINISHED
    manifest = read_manifest_csv(dataset["manifest"])
    order = scene_order(N, ScanOrder.SHUFFLED, 11)
    with open_session(dataset["root"] / "batch.h5") as reader:
        ids = [s.scene_id for s in reader.scenes()]
        assert ids == [manifest.ids[i] for i in order]  # display order = the seeded permutation
        assert reader.n_records == N and sorted(reader.scene_ids()) == sorted(manifest.ids)
        info = batch_info(reader.extra)
    assert info is not None
    assert info.order == "shuffled" and info.seed == 11
    assert info.manifest_rows is not None and info.manifest_rows.tolist() == order.tolist()
    assert info.splits == [manifest.entries[i].split for i in order]
    assert info.labels == {"gender": [manifest.entries[i].labels["gender"] for i in order]}
    table = read_celeba_attributes(dataset["labels"])
    assert info.attributes is not None and info.attributes.shape == (N, 40)
    for k, scene_id in enumerate(ids):
        if scene_id == manifest.ids[-1]:
            assert not info.attributes[k].any()  # no label line: 0
        else:
            assert np.array_equal(info.attributes[k], table.values[table.stems.index(scene_id)])
    assert info.attribute_names == table.names
    assert info.settings["repeats"] == 1 and info.settings["split_counts"] == {
        "train": 8,
        "test": 4,
    }
    assert info.settings["labels_unmatched"] == 1 and result.unlabelled == (manifest.ids[-1],)
    checked = [e for e in events if isinstance(e, ScenesChecked)]
    assert [(e.done, e.total) for e in checked] == [(i, N) for i in range(1, N + 1)]
    (written,) = [e for e in events if isinstance(e, ReportWritten)]
    assert written.directory == dataset["root"] / "batch_report" == result.report_dir
    files = sorted(p.name for p in written.directory.iterdir())
    assert files == [
        "drift.png",
        "flags.png",
        "report.json",
        "report.txt",
        "throughput.png",
        "timing.png",
    ]
    summary = json.loads((written.directory / "report.json").read_text())
    assert summary["coverage"]["complete"] and summary["coverage"]["planned"] == N
    assert not any(t.name.startswith("lsi-rig scene") for t in threading.enumerate())


def test_the_fixed_order_is_the_manifest_order_and_repeats_are_stored(
    dataset: dict[str, Path],
) -> None:
    settings = BatchSettings(order=ScanOrder.FIXED, repeats=2, size=16)
    result = BatchJob(_request(dataset, settings=settings, write_report=False)).run()
    assert result.report_dir is None and not (dataset["root"] / "batch_report").exists()
    with open_session(dataset["root"] / "batch.h5") as reader:
        assert [s.scene_id for s in reader.scenes()] == read_manifest_csv(dataset["manifest"]).ids
        assert reader.n_records == 2 * N
        info = batch_info(reader.extra)
    assert info is not None and info.seed is None and info.settings["repeats"] == 2


def test_a_calibration_draws_the_scenes_and_is_named_in_the_session(
    dataset: dict[str, Path],
) -> None:
    class Black:
        snapshot = CalibrationSnapshot.create(rig_name="sim-ideal", content_yaml="black: true\n")

        def scene_image(self, image: np.ndarray) -> np.ndarray:
            return np.zeros_like(image)

        def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
            return vector_v * 2.0

    BatchJob(_request(dataset, write_report=False)).run()
    out = dataset["root"] / "black.h5"
    BatchJob(_request(dataset, out=out, calibration=Black(), write_report=False)).run()
    with open_session(dataset["root"] / "batch.h5") as shown, open_session(out) as black:
        assert np.abs(shown.vectors()).max() > 1e-3
        assert np.abs(black.vectors()).max() < 1e-6  # every scene drawn black
        info = batch_info(black.extra)
        assert black.has_calibrated
        np.testing.assert_array_equal(black.vectors("calibrated"), 2 * black.vectors())
        assert black.calibration_sha256 == Black.snapshot.sha256
    assert info is not None and info.settings["calibration_sha256"] == Black.snapshot.sha256


def test_a_stop_while_scenes_are_checked_writes_no_file(dataset: dict[str, Path]) -> None:
    job = BatchJob(_request(dataset))
    job.subscribe(lambda e: job.stop() if isinstance(e, ScenesChecked) and e.done == 3 else None)
    result = job.run()
    assert result.job.state is JobState.CANCELLED and result.job.path is None
    assert sorted(p.name for p in dataset["root"].iterdir()) == ["attr.txt", "imgs", "m.csv"]


def test_pause_and_resume_steer_the_capture_from_another_thread(dataset: dict[str, Path]) -> None:
    job = BatchJob(_request(dataset, write_report=False))
    parked = threading.Event()
    job.subscribe(
        lambda e: parked.set() if isinstance(e, StateChanged) and e.new is JobState.PAUSED else None
    )
    job.pause("checking the monitor")  # asked before the capture exists: applied when it does
    job.start()
    assert parked.wait(30), "the batch never paused"
    assert job.state is JobState.PAUSED
    assert not (dataset["root"] / "batch.h5").exists()  # parked while preparing: no record yet
    job.resume()
    result = job.wait(60)
    assert result is not None and result.job.status == "complete" and job.error is None


def test_resume_refuses_a_plain_capture_and_a_different_manifest(
    dataset: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    plain = dataset["root"] / "plain.h5"
    images = str(dataset["root"] / "imgs")
    code = main(
        ["capture", "--rig", "sim-ideal", "--masks", MASKS, "--images", images,
         "--out", str(plain), "--size", "16", "--quiet"]
    )  # fmt: skip
    assert code == 0
    with pytest.raises(SessionError, match="holds no batch metadata"):
        BatchJob(_request(dataset, out=plain, resume=True)).run()
    BatchJob(_request(dataset, write_report=False)).run()
    other = write_manifest(dataset["root"] / "other.csv", [["zzz", "imgs/000001.png", "test"]])
    request = _request(dataset, manifest=read_manifest_csv(other), resume=True)
    with pytest.raises(SessionError, match=r"scene '\d+' of the session is not in"):
        BatchJob(request).run()


# -- the CLI -------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, list[str]]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, [line for line in captured.err.splitlines() if line.strip()]


def test_cli_batch_of_an_image_folder_with_a_split_list(
    dataset: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    listing = dataset["root"] / "test.txt"
    listing.write_text("000001.jpg\n000004\n000007\n")
    out = dataset["root"] / "cli.h5"
    code, stdout, _ = _run(
        capsys, "batch", "--rig", "sim-ideal", "--masks", MASKS,
        "--images", str(dataset["root"] / "imgs"), "--split-list", str(listing),
        "--labels", str(dataset["labels"]), "--size", "16", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert code == 0
    assert f"{out}: 3/3 records, status complete" in stdout
    assert f"QA report: {dataset['root'] / 'cli_report' / 'report.txt'}" in stdout
    with open_session(out) as reader:
        assert [s.scene_id for s in reader.scenes()] == ["000001", "000004", "000007"]
        info = batch_info(reader.extra)
    assert info is not None and info.splits == ["test"] * 3
    assert info.settings["split_list"] == str(listing)


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"--out": None}, ["either --out", "--resume"]),
        ({"--resume": "x.h5"}, ["either --out", "--resume"]),
        ({"--images": "imgs"}, ["either --manifest", "--images"]),
        ({"--order": "random"}, ["--order 'random'", "fixed or shuffled"]),
        ({"--split-list": "list.txt"}, ["'999999' not in"]),
        ({"--labels": "none.txt"}, ["labels", "none.txt", "not found"]),
        ({"--manifest": "bad.csv"}, ["scene '000001' (manifest row 1)", "cannot decode"]),
        ({"--out": "nofolder/out.h5"}, ["does not exist"]),
        ({"--masks": "demo:nope"}, ["demo:nope"]),
    ],
)
def test_cli_batch_errors_are_one_line_and_leave_no_file(
    dataset: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str | None],
    needles: list[str],
) -> None:
    root = dataset["root"]
    (root / "list.txt").write_text("000001\n999999\n")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    write_manifest(root / "bad.csv", [["000001", "broken.png", "test"]])
    options: dict[str, str | None] = {
        "--rig": "sim-ideal",
        "--masks": MASKS,
        "--manifest": str(dataset["manifest"]),
        "--out": str(root / "out.h5"),
    }
    for key, value in change.items():
        options[key] = value if value is None or value.startswith("demo:") else str(root / value)
        if key == "--order":
            options[key] = value
    args = ["batch", "--quiet", "--size", "16"]
    for key, value in options.items():
        if value is not None:
            args += [key, value]
    before = sorted(p.name for p in root.iterdir())
    code, _, err = _run(capsys, *args)
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("lsi-rig: error: "), err
    for needle in needles:
        assert needle in err[0], err[0]
    assert sorted(p.name for p in root.iterdir()) == before


def test_a_resumed_batch_rebuilds_the_stored_order_and_settings(
    dataset: dict[str, Path],
) -> None:
    """Up to the storage layer (``SessionWriter.reopen``): the resumed capture job gets the same
    scenes in the same shuffled order, the same plan, and starts loading at the first scene
    still to measure — whatever order and seed the resuming command gives."""
    first = BatchJob(
        _request(
            dataset,
            settings=BatchSettings(repeats=2, order=ScanOrder.SHUFFLED, seed=21, size=16),
            write_report=False,
        )
    )
    first.subscribe(
        lambda e: first.stop() if isinstance(e, RecordCommitted) and e.index == 6 else None
    )
    assert first.run().job.status == "interrupted"
    path = dataset["root"] / "batch.h5"
    with open_session(path) as reader:
        stored = reader.scenes()
        rig_yaml = reader.rig_config_yaml
        mask_sha = reader.masks().sha256
        assert reader.n_records == 7  # scenes 0-2 complete, scene 3 has repeat 0
    again = BatchJob(
        _request(dataset, resume=True, settings=BatchSettings(order=ScanOrder.FIXED, size=16))
    )
    capture = again.prepare()
    try:
        plan = capture.request.plan
        assert list(plan.scenes.infos) == stored
        assert plan.repeats == 2 and capture.request.resume
        assert not plan_differences(
            stored_rig_yaml=rig_yaml,
            current_rig_yaml=dump_rig(capture.request.rig_config),
            stored_mask_sha256=mask_sha,
            stored_scenes=stored,
            stored_calibration_sha256=None,
            plan=plan,
            calibration_sha256=None,
        )
        scenes = plan.scenes
        assert sorted(scenes._pending) == [3, 4]  # type: ignore[attr-defined]
    finally:
        scenes.close()  # type: ignore[attr-defined]
