"""What the capture measures and how it is decoded: the mask set, the scenes, the decoder (and
the official LSI model the operator loads), plus the calibration and batch pages when they are
installed.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QFileDialog

from lsi_rig.core.errors import LsiRigError
from lsi_rig.decode.model_masks import load_masks
from lsi_rig.gui.scene_choice import SceneChoice
from lsi_rig.gui.widgets import queued
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import VectorDecoder
from lsi_rig.scenes.source import SceneSource

if TYPE_CHECKING:
    from lsi_rig.gui.main_window import MainWindow

log = logging.getLogger(__name__)
SCENE_CACHE = 16


class _ModelLoaded(QObject):
    done = pyqtSignal(object, str, str)  # decoder or None, error message, checkpoint path


class InputsFlow:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.mask_set: MaskSet = window.options.mask_set
        self.scene_choice: SceneChoice = window.options.scenes
        self.scene_source: SceneSource | None = None
        self.scene_cache: dict[int, np.ndarray] = {}
        self._model_signal = _ModelLoaded()
        queued(self._model_signal.done, self._model_done)

    def setup(self) -> None:
        w = self.w
        w.masks_dock.load_requested.connect(self.load_masks)
        w.masks_dock.show_masks(self.mask_set, w.rigs.rig_config)
        w.scene_dock.set_choice(self.scene_choice)
        w.scene_dock.choice_changed.connect(self._scenes_chosen)
        w.scene_dock.show_scene(None, "Scene on the monitor")
        self.use_decoder()

    def load_masks(self, spec: str) -> bool:
        if self.w.capture.active:
            self.w.errors.user_error("stop the capture before loading other masks")
            return False
        try:
            mask_set = load_masks(spec)
        except LsiRigError as exc:
            self.w.errors.user_error(str(exc))
            return False
        self.mask_set = mask_set
        self.w.masks_dock.show_masks(mask_set, self.w.rigs.rig_config)
        self.use_decoder()
        self.w.update_title()
        return True

    def pick_masks(self) -> None:
        """Masks ▸ Load masks…: a checkpoint or an array file (PNG folders: the Masks panel)."""
        path, _ = QFileDialog.getOpenFileName(
            self.w, "Load a mask set", "", "Mask sets (*.pt *.pth *.npy *.npz);;All files (*)"
        )
        if path:
            self.load_masks(path)

    def _scenes_chosen(self, choice: SceneChoice) -> None:
        self.scene_choice = choice
        self.scene_source = None
        self.scene_cache.clear()

    def use_decoder(self, force: bool = False) -> None:
        choice = self.w.decoding.use_masks(self.mask_set, force=force)
        self.w.recon_dock.set_decoder(choice.reason, choice.tasks)

    def scene_pixels(self, scene_index: int) -> np.ndarray | None:
        if scene_index in self.scene_cache:
            return self.scene_cache[scene_index]
        source = self.scene_source
        if source is None or not 0 <= scene_index < len(source.infos):
            return None
        try:
            image = np.asarray(source.load(scene_index).image)
        except LsiRigError:
            return None
        if len(self.scene_cache) >= SCENE_CACHE:
            self.scene_cache.pop(next(iter(self.scene_cache)))
        self.scene_cache[scene_index] = image
        return image

    def load_model(self) -> None:
        checkpoint, _ = QFileDialog.getOpenFileName(
            self.w, "LSI checkpoint (masks, encoder, heads)", "", "Checkpoints (*.pt *.pth)"
        )
        if not checkpoint:
            return
        generator, _ = QFileDialog.getOpenFileName(
            self.w, "StyleGAN-XL generator (.pkl, or generator.json of a converted cache)", "",
            "Generators (*.pkl *.json)",
        )  # fmt: skip
        if not generator:
            return
        if generator.endswith(".json"):
            generator = str(Path(generator).parent)
        self.w.recon_dock.set_decoder(
            f"loading LSI model {Path(checkpoint).name}…", self.w.decoding.choice.tasks
        )

        def work() -> None:
            try:
                from lsi_rig.decode.loading import load_decoder

                decoder = load_decoder(checkpoint=checkpoint, generator=generator, impl="fast")
            except LsiRigError as exc:
                self._model_signal.done.emit(None, str(exc), checkpoint)
                return
            except Exception as exc:
                log.exception("loading the LSI model failed")
                message = f"internal: {type(exc).__name__}: {exc}"
                self._model_signal.done.emit(None, message, checkpoint)
                return
            self._model_signal.done.emit(decoder, "", checkpoint)

        threading.Thread(target=work, name="load LSI model", daemon=True).start()

    def _model_done(self, decoder: object, error: str, checkpoint: str) -> None:
        if decoder is None:
            self.use_decoder()
            if error.startswith("internal: "):
                self.w.errors.internal_error(error.removeprefix("internal: "))
            else:
                self.w.errors.user_error(error, "LSI model not loaded")
            return
        assert isinstance(decoder, VectorDecoder)
        self.w.decoding.official = decoder
        trained_on = decoder.mask_sha256
        if trained_on not in (None, self.mask_set.sha256) and not self.w.capture.active:
            log.info("LSI model loaded: using its own masks from %s", checkpoint)
            if self.load_masks(checkpoint):  # the DMD must show what the model was trained on
                return
        self.use_decoder(force=True)

    def open_calibration(self) -> None:
        self._open_page("lsi_rig.gui.calibration_wizard", "CalibrationWizard")

    def open_batch(self) -> None:
        self._open_page("lsi_rig.gui.batch_page", "BatchDialog")

    def _open_page(self, module: str, name: str) -> None:
        try:
            page = getattr(importlib.import_module(module), name)(self.w, self.w.rigs.rig_config)
        except ImportError:
            self.w.errors.user_error(f"{name} is not installed in this lsi-rig")
            return
        page.show()
