"""A tqdm progress bar (records, rate, ETA) fed by engine progress events."""

from __future__ import annotations

import sys
from types import TracebackType

from lsi_rig.engine import Progress


class ProgressBar:
    """Context manager; call it with each :class:`Progress`. Flags seen are shown as a postfix."""

    def __init__(self, total: int, *, description: str, enabled: bool = True) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total, desc=description, unit="vec", disable=not enabled, file=sys.stderr
        )
        self._flags: set[str] = set()

    def __call__(self, progress: Progress) -> None:
        if progress.record is None:
            return
        self._bar.update(progress.records_done - self._bar.n)
        new = set(progress.flags.names()) - self._flags
        if new:
            self._flags |= new
            self._bar.set_postfix_str("flags: " + ",".join(sorted(self._flags)))

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.close()
