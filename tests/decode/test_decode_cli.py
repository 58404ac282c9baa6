"""``lsi-rig decode`` through the real CLI (``lsi_rig.cli.app.main``): refusals are one line
with exit code 2, and a failed run leaves no output folder or file of its own behind."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import lsi_rig.decode.loading as loading
import lsi_rig.models.generator as generator_pkg
from lsi_rig.cli.app import main
from lsi_rig.core.errors import ModelError
from lsi_rig.masks import load_masks
from lsi_rig.models.decoder import Decoder
from tests.decode.fakes import FakeDecoder, random_masks, write_session
from tests.models.ckpt_writer import STAND_IN_CHANNELS, StandInSynthesis, write_checkpoint

pytestmark = pytest.mark.timeout(300)
N = 8


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("ckpt") / "real_8.pt", N,
                            channels=STAND_IN_CHANNELS, seed=9)  # fmt: skip


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    pkl = tmp_path / "gen.pkl"
    pkl.write_bytes(b"stand-in")
    monkeypatch.setattr(generator_pkg, "load_generator", lambda *a, **k: StandInSynthesis(seed=3))
    return pkl


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, list[str]]:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err.splitlines()
    return code, [line for line in err if line.startswith("lsi-rig")]


def _one_error(code: int, errors: list[str], *needles: str) -> str:
    assert code == 2, errors
    assert len(errors) == 1, errors
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def _no_leftovers(root: Path) -> None:
    assert not list(root.rglob("*.partial-*"))


def test_session_of_other_masks_is_refused_before_any_output(
    tmp_path: Path, ckpt: Path, generator: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = write_session(tmp_path / "run.h5", random_masks(N), n_records=2)
    out = tmp_path / "new" / "out"
    code, errors = _run(capsys, "decode", session, "--checkpoint", ckpt, "--generator",
                        generator, "--out", out)  # fmt: skip
    model_hash = Decoder.from_files(ckpt, StandInSynthesis(seed=3)).mask_sha256
    line = _one_error(code, errors, str(session), "real_8.pt", "random8", "--force")
    assert random_masks(N).sha256[:12] in line and model_hash is not None
    assert model_hash[:12] in line
    assert not (tmp_path / "new").exists()


def test_force_decodes_and_marks_the_outputs(
    tmp_path: Path, ckpt: Path, generator: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    session = write_session(tmp_path / "run.h5", random_masks(N), n_records=2)
    out = tmp_path / "out"
    with caplog.at_level("WARNING"):
        code, _ = _run(capsys, "decode", session, "--checkpoint", ckpt, "--generator", generator,
                       "--out", out, "--tasks", "attributes", "--force")  # fmt: skip
    assert code == 0
    assert any("decoding anyway (--force)" in r.getMessage() for r in caplog.records)
    records = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    assert len(records) == 2 and all(r["forced"] for r in records)


def test_the_checkpoints_own_masks_decode_without_warning(
    tmp_path: Path, ckpt: Path, generator: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Decoder.mask_sha256 is the content hash of the masks the checkpoint binarises to."""
    masks = load_masks(str(ckpt))
    weight = torch.load(ckpt, weights_only=True)["mask"]["weight"]
    bits = (torch.round(torch.clamp(weight, 0, 1)) == 1).reshape(N, 256, 256).numpy()
    assert np.array_equal(masks.bits, bits)
    assert Decoder.from_files(ckpt, StandInSynthesis(seed=3)).mask_sha256 == masks.sha256
    session = write_session(tmp_path / "own.h5", masks, n_records=3)
    with caplog.at_level("WARNING", logger="lsi_rig.decode"):
        code, errors = _run(capsys, "decode", session, "--checkpoint", ckpt, "--generator",
                            generator, "--out", tmp_path / "o", "--tasks", "attributes",
                            "--records", "1:3")  # fmt: skip
    assert code == 0, errors
    assert not [r for r in caplog.records if "masks" in r.getMessage()]
    assert sorted(p.name for p in (tmp_path / "o").glob("*.json")) == [
        "own_00001_face_001.json", "own_00002_face_000.json"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "needles"),
    [
        (["--device", "bogus"], ["device 'bogus' is not one of cpu, cuda, cuda:N"]),
        (["--device", "cuda:x"], ["device 'cuda:x'"]),
        (["--precision", "fp8"], ["precision 'fp8' is not one of auto, fp32, bf16, fp16"]),
        (["--impl", "bogus"], ["impl 'bogus' is not one of fast, reference"]),
        (["--impl", "reference", "--precision", "bf16"], ["needs impl 'fast'"]),
        pytest.param(
            ["--device", "cuda:3"],
            ["cuda:3", "CUDA GPU"],
            marks=pytest.mark.skipif(torch.cuda.device_count() > 3, reason="has 4 GPUs"),
        ),
        (["--tasks", "image,telepathy"], ["unknown decode tasks ['telepathy']"]),
        (["--records", "1:2"], ["--records selects records of a session"]),
    ],
)
def test_option_errors_are_one_line(
    tmp_path: Path, ckpt: Path, generator: Path, capsys: pytest.CaptureFixture[str],
    options: list[str], needles: list[str],
) -> None:  # fmt: skip
    np.savez(tmp_path / "v.npz", array=np.zeros(N))
    out = tmp_path / "out"
    code, errors = _run(capsys, "decode", "--vectors", tmp_path / "v.npz", "--checkpoint", ckpt,
                        "--generator", generator, "--out", out, *options)  # fmt: skip
    _one_error(code, errors, *needles)
    assert not out.exists()


def test_wrong_length_and_bad_out_are_refused(
    tmp_path: Path, ckpt: Path, generator: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.savez(tmp_path / "long.npz", array=np.zeros((2, 32)))
    base = ["decode", "--checkpoint", ckpt, "--generator", generator]
    code, errors = _run(capsys, *base, "--out", tmp_path / "o", "--vectors", tmp_path / "long.npz")
    _one_error(code, errors, "long.npz: vector 0 has 32 values", "n=8")
    assert not (tmp_path / "o").exists()
    (tmp_path / "file").write_text("x")
    np.savez(tmp_path / "v.npz", array=np.zeros(N))
    code, errors = _run(capsys, *base, "--out", tmp_path / "file", "--vectors", tmp_path / "v.npz")
    _one_error(code, errors, "is a file, not a folder")
    code, errors = _run(capsys, *base, "--out", tmp_path / "o", "--vectors", tmp_path / "nope.npz")
    _one_error(code, errors, "nope.npz")
    missing = ["decode", "--checkpoint", tmp_path / "none.pt", "--generator", generator]
    code, errors = _run(capsys, *missing, "--out", tmp_path / "o", "--vectors", tmp_path / "v.npz")
    _one_error(code, errors, "checkpoint", "none.pt does not exist")
    assert not (tmp_path / "o").exists()


# -- failures part way through a run -------------------------------------------------------------


def _fake(monkeypatch: pytest.MonkeyPatch, decoder: FakeDecoder) -> None:
    monkeypatch.setattr(loading, "load_decoder", lambda *args, **kwargs: decoder)


def _vectors(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "v.npz"
    np.savez(path, array=np.arange(count * N, dtype=np.float32).reshape(count, N))
    return path


def _third_fails(error: BaseException):  # type: ignore[no-untyped-def]
    return lambda values: error if values[0] == 2 * N else None


def test_a_failed_run_removes_the_folders_and_files_it_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake(monkeypatch, FakeDecoder(N, fail=_third_fails(ModelError("decoder broke on vector 2"))))
    out = tmp_path / "new" / "deeper" / "out"
    code, errors = _run(capsys, "decode", "--vectors", _vectors(tmp_path, 5), "--checkpoint",
                        "c.pt", "--generator", "g.pkl", "--out", out)  # fmt: skip
    _one_error(code, errors, "decoder broke on vector 2")
    assert not (tmp_path / "new").exists()


def test_a_failed_run_never_removes_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "v_0000.json").write_text("{}")  # an earlier run's output, overwritten in place
    _fake(monkeypatch, FakeDecoder(N, fail=_third_fails(ModelError("broke"))))
    code, errors = _run(capsys, "decode", "--vectors", _vectors(tmp_path, 5), "--checkpoint",
                        "c.pt", "--generator", "g.pkl", "--out", out)  # fmt: skip
    _one_error(code, errors, "broke")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "v_0000.json"]
    assert (out / "notes.txt").read_text() == "mine"
    _no_leftovers(tmp_path)


def test_ctrl_c_keeps_the_complete_vectors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _fake(monkeypatch, FakeDecoder(N, fail=_third_fails(KeyboardInterrupt())))
    out = tmp_path / "out"
    with caplog.at_level("WARNING"):
        args = ["--checkpoint", "c.pt", "--generator", "g.pkl", "--out", out]
        code, errors = _run(capsys, "decode", "--vectors", _vectors(tmp_path, 5), *args)
    assert code == 130 and errors == ["lsi-rig: interrupted"], (code, errors)
    messages = [r.getMessage() for r in caplog.records]
    assert any("decode interrupted: 2 of 5 vector(s) kept" in m for m in messages), messages
    assert sorted(p.name for p in out.iterdir()) == [
        "attributes.csv", "v_0000.json", "v_0000_rec.png", "v_0001.json", "v_0001_rec.png",
    ]  # fmt: skip
    with (out / "attributes.csv").open() as f:
        assert [row["stem"] for row in csv.DictReader(f)] == ["v_0000", "v_0001"]
    _no_leftovers(tmp_path)


def test_a_write_failure_mid_vector_leaves_no_partial_vector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lsi_rig.decode import outputs

    real_write = outputs.OutputFolder._write

    def flaky(self, name, produce):  # type: ignore[no-untyped-def]
        if name == "v_0001.json":
            raise outputs.SessionError(f"cannot write {self.path / name}: No space left on device")
        return real_write(self, name, produce)

    monkeypatch.setattr(outputs.OutputFolder, "_write", flaky)
    _fake(monkeypatch, FakeDecoder(N))
    out = tmp_path / "out"
    code, errors = _run(capsys, "decode", "--vectors", _vectors(tmp_path, 3), "--checkpoint",
                        "c.pt", "--generator", "g.pkl", "--out", out)  # fmt: skip
    _one_error(code, errors, "v_0001.json", "No space left")
    assert not out.exists()
