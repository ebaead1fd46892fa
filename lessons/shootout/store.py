"""The results file: one JSON line per finished run, appended as each run ends.

A sweep can be stopped at any moment (Ctrl-C, a lost connection, a crash) and
started again with the same command: runs whose ``key`` is already in the file
are not run again. Each record is written with a single ``write`` of one whole
line on a file opened for appending, then flushed and synced, so a record is
either in the file or not. A line that a crash cut short (or any line that is
not JSON) is skipped when reading and reported, never fatal; the file is never
rewritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from minigrad.errors import DataError


class ResultsFile:
    """An append-only JSON-lines file of run records, keyed by ``record["key"]``."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        #: Lines that could not be read at the last ``load`` (line number, first characters).
        self.skipped: list[tuple[int, str]] = []

    def load(self) -> dict[str, dict[str, Any]]:
        """Every complete record, by key (a later record of the same key wins)."""
        self.skipped = []
        if not self.path.exists():
            return {}
        records: dict[str, dict[str, Any]] = {}
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise DataError(f"cannot read the results file {self.path}: {exc}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                self.skipped.append((number, line[:40]))
                continue
            if isinstance(record, dict) and isinstance(record.get("key"), str):
                records[record["key"]] = record
            else:
                self.skipped.append((number, line[:40]))
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Add one record as one line (a cut-short last line is first closed off)."""
        line = json.dumps(record, sort_keys=True, allow_nan=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as f:
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        line = "\n" + line  # end the broken line; it stays unreadable
                f.write(line.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise DataError(f"cannot append to the results file {self.path}: {exc}") from exc
