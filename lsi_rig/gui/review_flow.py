"""Review mode in the window: open a session file, step through its records, follow a file that
is being written, and go back to the live view."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtWidgets import QFileDialog

from lsi_rig.core.errors import LsiRigError
from lsi_rig.decode.units import record_input
from lsi_rig.gui.docks.live import RecordView
from lsi_rig.gui.drawing import DecodeKey
from lsi_rig.gui.review import ReviewSession
from lsi_rig.gui.settings import add_recent_file, recent_files
from lsi_rig.storage import RunStatus

if TYPE_CHECKING:
    from lsi_rig.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class ReviewFlow:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.session: ReviewSession | None = None
        self.index = -1

    def setup(self) -> None:
        s = self.w.session_dock
        s.open.clicked.connect(lambda: self.open_session())
        s.open_recent.connect(self.open_session)
        s.record_selected.connect(self.show_record)
        s.back_to_live.clicked.connect(self.back_to_live)
        self._recent_changed(recent_files())

    def remember(self, path: Path) -> None:
        self._recent_changed(add_recent_file(path))

    def _recent_changed(self, files: list[Path]) -> None:
        self.w.session_dock.set_recent(files)
        menu = self.w.recent_menu
        assert menu is not None
        menu.clear()
        for path in files:
            action = menu.addAction(str(path))
            assert action is not None
            action.triggered.connect(lambda _checked=False, p=path: self.open_session(p))
        menu.setEnabled(bool(files))

    def open_session(self, path: Path | None = None) -> bool:
        w = self.w
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                w, "Open a session file", str(w.flow.sessions_dir), "Sessions (*.h5 *.hdf5)"
            )
            if not chosen:
                return False
            path = Path(chosen)
        try:
            session = ReviewSession(path)
            masks = session.masks
        except LsiRigError as exc:
            w.errors.user_error(str(exc), "Cannot open the session")
            return False
        self.close()
        self.session = session
        self.remember(session.path)
        from lsi_rig.gui.main_window import Mode

        w.set_mode(Mode.REVIEW)
        choice = w.decoding.use_masks(masks)
        w.recon_dock.set_decoder(choice.reason, choice.tasks)
        w.recon_dock.clear("Review: choose a record.")
        n = session.n_records
        w.session_dock.set_review(session.summary_line(), n)
        w.session_dock.raise_()
        self.index = -1
        if n:
            self.show_record(0)
        else:
            w.live_dock.clear(f"Review {session.path.name}: no records (yet).")
        log.info("review: opened %s", session.summary_line())
        return True

    def show_record(self, index: int) -> None:
        session = self.session
        w = self.w
        if session is None or not 0 <= index < session.n_records:
            return
        self.index = index
        dock = w.session_dock
        if dock.record_index.value() != index:
            dock.record_index.setValue(index)  # re-enters once through record_selected
            return
        try:
            record = session.record(index)
        except (LsiRigError, IndexError) as exc:
            w.errors.user_error(str(exc), "Cannot read the record")
            return
        info = session.scene_info(record.scene_index)
        scene_id = info.scene_id if info is not None else "?"
        w.live_dock.show_record(RecordView(record, index, scene_id, f"review {session.path.name}"))
        scene = session.scene_image(record.scene_index)
        w.recon_dock.show_scene(scene_id, scene)
        w.scene_dock.show_scene(scene, f"Scene of record {index}: {scene_id}")
        vector, _ = record_input(record, session.world)
        w.decoding.submit(vector, DecodeKey(str(session.path), 0, index, record.scene_index,
                                            scene_id))  # fmt: skip

    def step(self, delta: int) -> None:
        if self.session is not None:
            self.show_record(max(0, min(self.index + delta, self.session.n_records - 1)))

    def follow(self) -> None:
        """Timer: pick up records another process appended (SWMR)."""
        session = self.session
        if session is None or not self.w.session_dock.follow.isChecked():
            return
        try:
            if session.status is not RunStatus.RUNNING:
                return
            before = session.n_records
            n = session.refresh()
        except LsiRigError as exc:
            log.warning("review: %s", exc)
            return
        if n != before:
            self.w.session_dock.set_review(session.summary_line(), n)
            if self.index < 0:
                self.show_record(0)

    def back_to_live(self) -> None:
        from lsi_rig.gui.main_window import Mode

        w = self.w
        if w.mode is Mode.LIVE:
            return
        self.close()
        w.session_dock.set_review(None)
        w.set_mode(Mode.LIVE)
        choice = w.decoding.use_masks(w.inputs.mask_set)
        w.recon_dock.set_decoder(choice.reason, choice.tasks)
        w.recon_dock.clear("Live: waiting for the next decoded vector.")
        w.live_dock.clear("Live: waiting for the next vector (F5 starts a capture).")

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
