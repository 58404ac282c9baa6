"""Bounded resources from any rig file: every number has physical bounds, YAML cannot trick the
loader (duplicate keys, boolean keys, alias bombs, huge files), and each refusal is one line
naming the key, with no session file left behind (checked through the CLI)."""

from __future__ import annotations

import math
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types
import pytest
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lsi_rig.cli.app import main
from lsi_rig.config import load_rig
from lsi_rig.config.load import parse_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.config.yaml_load import MAX_EXPANDED_NODES, MAX_RIG_BYTES
from lsi_rig.core.errors import ConfigError

LOWER = (annotated_types.Ge, annotated_types.Gt)
UPPER = (annotated_types.Le, annotated_types.Lt)


def _window_rig() -> RigConfig:
    data = load_rig("emulated").model_dump(mode="json")
    data["devices"]["display"] = {"backend": "window", "image_size_px": 256}
    data["devices"]["detector"]["mode"] = "oversampled"
    data["devices"]["detector"]["grpc"]["api_key"] = "k"
    data["devices"]["dmd"]["block_size"] = 2
    return parse_rig(data, "window rig")


def _full_rigs() -> dict[str, dict[str, Any]]:
    """Rigs that together use every config model, with every optional number filled in."""
    sim = load_rig("sim").model_dump(mode="json")
    sim["acquisition"].update(period_us=300.0, settle_s=0.1)
    sim["world"]["dmd"]["block_size"] = 2
    return {"sim": sim, "window": _window_rig().model_dump(mode="json")}


def _numeric_leaves(annotation: Any, meta: list[Any]) -> list[list[Any]]:
    """Constraint lists of every int/float reachable in a field type (not through models)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        more: list[Any] = []
        for m in extra:
            more.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        return _numeric_leaves(base, meta + more)
    if annotation in (int, float):
        return [meta]
    if origin in (typing.Union, types.UnionType):
        return [leaf for a in typing.get_args(annotation) for leaf in _numeric_leaves(a, meta)]
    if origin in (tuple, dict, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return [leaf for a in args for leaf in _numeric_leaves(a, [])]
    return []


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        for arg in _all_types(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)


def _all_types(annotation: Any) -> list[Any]:
    out = [annotation]
    for arg in typing.get_args(annotation):
        out.extend(_all_types(arg))
    return out


class TestEveryNumberIsBounded:
    def test_every_numeric_field_of_every_config_model_has_both_bounds(self) -> None:
        models: set[type[BaseModel]] = set()
        _models(RigConfig, models)
        assert len(models) >= 20  # world, devices, acquisition, paths, emulators ...
        unbounded = []
        for model in models:
            for name, field in model.model_fields.items():
                for leaf in _numeric_leaves(field.annotation, list(field.metadata)):
                    has_low = any(isinstance(m, LOWER) for m in leaf)
                    has_high = any(isinstance(m, UPPER) for m in leaf)
                    if not (has_low and has_high):
                        unbounded.append(f"{model.__name__}.{name}")
        assert unbounded == []

    @pytest.mark.parametrize("rig", ["sim", "window"])
    def test_a_value_past_any_bound_is_refused_naming_its_key(self, rig: str) -> None:
        """Mutate every numeric leaf of a full rig to an absurd value, one at a time."""
        base = _full_rigs()[rig]
        mutations = list(_mutations(base, ()))
        assert len(mutations) > (60 if rig == "sim" else 40)
        for path, value in mutations:
            data = _set(base, path, value)
            with pytest.raises(ConfigError) as err:
                parse_rig(data, "rig.yaml")
            shown = ".".join(str(p) for p in path if not isinstance(p, int))
            assert shown in str(err.value), (path, str(err.value))

    @pytest.mark.parametrize(
        ("yaml_text", "key"),
        [
            ("world: {dmd: {columns: 2000000000}}", "world.dmd.columns"),
            ("world: {dmd: {rows: -4}}", "world.dmd.rows"),
            ("world: {dmd: {column_pitch_um: 0}}", "world.dmd.column_pitch_um"),
            ("world: {optics: {blur_sigma_um: 1.0e9}}", "world.optics.blur_sigma_um"),
            ("world: {optics: {supersample: 100000}}", "world.optics.supersample"),
            ("world: {seed: -1}", "world.seed"),
            ("world: {seed: 100000000000000000000000}", "world.seed"),
            ("world: {optics: {white_power_w: .inf}}", "world.optics.white_power_w"),
            ("world: {optics: {vignetting: .nan}}", "world.optics.vignetting"),
            ("world: {monitor: {response_time_s: 1.0e6}}", "world.monitor.response_time_s"),
            ("world: {daq: {max_sample_rate_hz: 1.0e12}}", "world.daq.max_sample_rate_hz"),
            (
                "world: {photodiode: {transimpedance_v_per_a: {40: 1.0e30}, bandwidth_hz: {40: 1},"
                " noise_v_rms: {40: 0}}}",
                "world.photodiode.transimpedance_v_per_a",
            ),
            (
                "world: {photodiode: {bandwidth_hz: {"
                + ", ".join(f"{g}: 1" for g in range(0, 200, 10))
                + "}}}",
                "world.photodiode.bandwidth_hz",
            ),
            ("acquisition: {averages: 1000000000000}", "acquisition.averages"),
            ("acquisition: {exposure_us: 1.0e15}", "acquisition.exposure_us"),
            ("acquisition: {repeats: 0}", "acquisition.repeats"),
            ("devices: {detector: {backend: sim, sample_rate_hz: 1.0e12}}", "sample_rate_hz"),
            ("devices: {detector: {backend: sim, range_v: 1.0e9}}", "devices.detector.range_v"),
            ("devices: {dmd: {backend: dlpc350, vsync_hz: 1.0e6}}", "devices.dmd.vsync_hz"),
            ("devices: {dmd: {backend: dlpc350, usb_timeout_ms: 99999999}}", "usb_timeout_ms"),
            ("devices: {display: {backend: window, settle_time_s: 1.0e9}}", "settle_time_s"),
            ("devices: {display: {backend: window, image_size_px: 10000000}}", "image_size_px"),
            ("devices: {sync: {backend: serial, port: x, timeout_s: 1.0e9}}", "timeout_s"),
            ("devices: {sync: {backend: serial, port: x, baudrate: 0}}", "baudrate"),
        ],
    )
    def test_absurd_values_from_a_file(self, tmp_path: Path, yaml_text: str, key: str) -> None:
        path = tmp_path / "rig.yaml"
        path.write_text("name: absurd\n" + yaml_text + "\n")
        with pytest.raises(ConfigError) as err:
            load_rig(path)
        assert str(path) in str(err.value) and key in str(err.value), str(err.value)


def _mutations(node: Any, path: tuple[Any, ...]):  # type: ignore[no-untyped-def]
    """(path, absurd value) for every number in a dumped rig (first element of lists)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "backend":
                continue
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                absurd = 10**30 if isinstance(value, int) else 1e300
                yield (*path, key), absurd
                yield (*path, key), -absurd
            elif value is None:
                continue
            else:
                yield from _mutations(value, (*path, key))
    elif isinstance(node, list) and node:
        first = node[0]
        if isinstance(first, int | float) and not isinstance(first, bool):
            yield (*path, 0), (10**30 if isinstance(first, int) else math.inf)
        elif isinstance(first, dict | list):
            yield from _mutations(first, (*path, 0))


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = yaml.safe_load(yaml.safe_dump(data))  # deep copy with JSON-like types
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


class TestYamlTricks:
    def _load(self, tmp_path: Path, text: str) -> str:
        path = tmp_path / "rig.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as err:
            load_rig(path)
        message = str(err.value)
        assert str(path) in message and "\n" not in message, message
        return message

    def test_duplicate_top_level_key_names_both_lines(self, tmp_path: Path) -> None:
        message = self._load(tmp_path, "name: a\nworld: {seed: 1}\nname: b\n")
        assert "duplicate key 'name'" in message and "line 3" in message
        assert "first at line 1" in message

    def test_duplicate_nested_key(self, tmp_path: Path) -> None:
        text = "name: a\nworld:\n  optics:\n    scale: 1.0\n    blur_sigma_um: 1\n    scale: 2\n"
        message = self._load(tmp_path, text)
        assert "duplicate key 'scale'" in message and "line 6" in message

    def test_merge_keys_still_work_and_explicit_keys_override(self, tmp_path: Path) -> None:
        path = tmp_path / "rig.yaml"
        path.write_text(
            "name: merged\nworld:\n  monitor: &m {gamma: 2.0, black_level: 0.01}\n"
            "  optics: {scale: 1.0}\n"
            "acquisition: {exposure_us: 300}\n"
            "x-defaults: null\n"
        )
        with pytest.raises(ConfigError, match="x-defaults: unknown key"):
            load_rig(path)
        path.write_text(
            "name: merged\nworld:\n  monitor: &m {gamma: 2.0, black_level: 0.01}\n"
            "  dmd: {min_exposure_us: 235}\n"
        )
        assert load_rig(path).world.monitor.gamma == 2.0  # type: ignore[union-attr]

    @pytest.mark.parametrize("key", ["on", "yes", "off", "true"])
    def test_boolean_keys_are_refused(self, tmp_path: Path, key: str) -> None:
        message = self._load(tmp_path, f"name: a\nworld:\n  {key}: 3\n")
        assert f"key '{key}' reads as the boolean" in message and "line 3" in message

    def test_list_as_key_is_refused(self, tmp_path: Path) -> None:
        message = self._load(tmp_path, "name: a\n? [1, 2]\n: 3\n")
        assert "mapping key must be a plain name" in message

    def test_non_string_key_at_a_field_is_refused(self, tmp_path: Path) -> None:
        message = self._load(tmp_path, "name: a\n12: 3\n")
        assert "Keys should be strings" in message

    def test_billion_laughs_is_refused_quickly(self, tmp_path: Path) -> None:
        lines = ["name: lol", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for i in range(1, 10):
            refs = ",".join([f"*a{i - 1}"] * 9)
            lines.append(f"a{i}: &a{i} [{refs}]")
        message = self._load(tmp_path, "\n".join(lines) + "\n")
        assert f"expand to more than {MAX_EXPANDED_NODES}" in message

    def test_recursive_alias_is_refused(self, tmp_path: Path) -> None:
        message = self._load(tmp_path, "name: a\nworld: &w {seed: 1, again: *w}\n")
        assert "aliases" in message or "alias" in message

    def test_modest_aliases_are_fine(self, tmp_path: Path) -> None:
        path = tmp_path / "rig.yaml"
        path.write_text(
            "name: a\nworld:\n  monitor: {colour_weights: &w [1.0, 1.0, 1.0]}\ndescription: plain\n"
        )
        assert load_rig(path).world.monitor.colour_weights == (1.0, 1.0, 1.0)  # type: ignore[union-attr]

    def test_huge_file_is_refused_before_parsing(self, tmp_path: Path) -> None:
        message = self._load(tmp_path, "name: a\n" + "# padding\n" * (MAX_RIG_BYTES // 10 + 10))
        assert "too large for a rig file" in message

    def test_deep_nesting_is_refused(self, tmp_path: Path) -> None:
        message = self._load(tmp_path, "name: a\nx: " + "[" * 5000 + "]" * 5000 + "\n")
        assert "nested too deeply" in message or "unknown key" in message


@pytest.fixture
def images(tmp_path: Path) -> Path:
    import numpy as np
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(folder / "a.png")
    return folder


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("world: {dmd: {columns: 2000000000}}\n", "world.dmd.columns"),
        ("world: {optics: {blur_sigma_um: 1.0e9}}\n", "world.optics.blur_sigma_um"),
        ("world: {seed: -1}\n", "world.seed"),
        ("world: {seed: 1}\nworld: {seed: 2}\n", "duplicate key 'world'"),
        (
            "a: &a [1,1,1,1,1,1,1,1,1,1]\n"
            + "".join(
                f"a{i}: &a{i} [{','.join(['*a' if i == 0 else f'*a{i - 1}'] * 10)}]\n"
                for i in range(6)
            ),
            "aliases",
        ),
    ],
)
def test_cli_refuses_with_one_line_and_leaves_no_file(
    tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text("name: bad\ndevices: {display: {backend: sim}}\n" + text)
    out = tmp_path / "out.h5"
    code = main(
        ["capture", "--rig", str(rig), "--masks", "demo:hadamard16:4", "--images", str(images),
         "--out", str(out), "--quiet"]
    )  # fmt: skip
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert len(err) == 1 and err[0].startswith("lsi-rig: error: "), err
    assert needle in err[0] and str(rig) in err[0], err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "rig.yaml"]


class TestNoScreen:
    """``display: window`` / the DLPC350 HDMI window with no usable Qt platform: one line and
    exit 2, not a Qt abort (checked in a child process that has no Qt application yet)."""

    WINDOW_DISPLAY = "devices: {display: {backend: window}}\nworld: {seed: 1}\n"
    WINDOW_DMD = (
        "world: {seed: 1}\nemulators: {dlpc350_usb: true}\n"
        "devices:\n  dmd: {backend: dlpc350, usb_backend: emulator, video_output: window}\n"
    )

    @pytest.mark.parametrize(
        ("rig_text", "platform", "setting"),
        [
            (WINDOW_DISPLAY, "bogus-platform", "devices.display"),
            (WINDOW_DISPLAY, "xcb", "devices.display"),
            (WINDOW_DMD, "bogus-platform", "devices.dmd.screen"),
        ],
    )
    def test_capture_refuses_in_one_line(
        self, tmp_path: Path, images: Path, rig_text: str, platform: str, setting: str
    ) -> None:
        import os
        import subprocess
        import sys

        rig = tmp_path / "rig.yaml"
        rig.write_text("name: screenless\n" + rig_text)
        out = tmp_path / "out.h5"
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env["QT_QPA_PLATFORM"] = platform
        done = subprocess.run(
            [sys.executable, "-m", "lsi_rig.cli.app", "capture", "--rig", str(rig),
             "--masks", "demo:hadamard16:4", "--images", str(images), "--out", str(out),
             "--quiet"],
            capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip
        err = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2, done.stderr
        assert len(err) == 1 and err[0].startswith("lsi-rig: error: "), err
        assert setting in err[0] and "no screen" in err[0], err[0]
        assert not out.exists()


class TestTraceBound:
    """Rates and exposures inside their bounds can still multiply to an absurd trace: the
    detectors refuse it before allocating anything."""

    def test_sim_detector_refuses_an_unbounded_trace(self) -> None:
        from lsi_rig.detector.config import SimDetectorConfig
        from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest
        from lsi_rig.detector.sim import SimDetector
        from lsi_rig.world import World, WorldConfig

        world = World(WorldConfig.model_validate({"daq": {"max_sample_rate_hz": 1e7}}))
        detector = SimDetector(
            SimDetectorConfig(mode=AcquisitionMode.OVERSAMPLED, sample_rate_hz=1e7), world
        )
        detector.arm(AcquisitionRequest(1088, 1e6, 1e6, 1088 * 1e6, 2000.0))
        with pytest.raises(ConfigError, match=r"10880000000 samples \(limit 16777216\)"):
            detector.read()

    def test_nidaqmx_trace_size_is_bounded(self) -> None:
        from lsi_rig.detector.nidaqmx_backend import oversampled_samples
        from lsi_rig.detector.protocol import AcquisitionRequest

        ok = AcquisitionRequest(546, 694.0, 694.0, 23 * 16666.7, 2.0)
        assert oversampled_samples(ok, 2e6) == round(23 * 16666.7e-6 * 2e6)
        with pytest.raises(ConfigError, match="lower sample_rate_hz"):
            oversampled_samples(AcquisitionRequest(1088, 1e6, 1e6, 1088e6, 2.0), 1e7)
