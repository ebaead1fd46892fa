"""The grader's own files, checked against SHA-256 sums recorded when the package was built.

A graded test file that was changed (a forgery, or an accidental edit of an
installed copy) would grade anything as a pass, for every user of that
install. ``lessons/exercises/checksums.txt`` lists a SHA-256 sum for every file
that decides a grade: the grader's modules, the manifest, the graded tests
and the reference solutions. It ships with the package; ``minigrad grade``
checks every file against it before and after each exercise and reports a
mismatch as a broken install instead of grading.

The graded test file and the reference are then read *once*, checked, and
used from those bytes (the test runs from a private copy, the reference is
compiled from them), so a change between the check and the use is not
picked up either.

After changing one of these files, record the new sums (a test fails until
you do)::

    python -m minigrad.lessons.grader.integrity --write

This catches a changed install; it cannot stop someone who edits the grader
itself and this file together (see docs/exercises/instructors.md, "What the
grader is and is not").
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from functools import cache
from pathlib import Path

from minigrad.lessons.grader.errors import ExerciseError

#: The installed ``minigrad.lessons`` folder (the repository's ``lessons/`` in a checkout).
LESSONS = Path(__file__).resolve().parent.parent
CHECKSUMS = "exercises/checksums.txt"
#: Folders whose .py files (recursively) decide grades, and single files that do.
CHECKED_FOLDERS = ("grader", "exercises/tests", "exercises/solutions")
CHECKED_FILES = ("exercises/manifest.toml",)


class BrokenInstallError(ExerciseError):
    """A file that decides grades differs from the one the package was built with."""


def checked_files(root: Path | None = None) -> list[str]:
    """The files under ``root`` that decide grades, as sorted POSIX paths relative to it."""
    root = root or LESSONS
    found = set(CHECKED_FILES)
    for folder in CHECKED_FOLDERS:
        for path in (root / folder).rglob("*.py"):
            if "__pycache__" not in path.parts:
                found.add(path.relative_to(root).as_posix())
    return sorted(found)


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex."""
    return hashlib.sha256(data).hexdigest()


def compute(root: Path | None = None) -> dict[str, str]:
    """``{relative path: sha256}`` of every checked file under ``root``."""
    root = root or LESSONS
    return {rel: digest((root / rel).read_bytes()) for rel in checked_files(root)}


def render(sums: dict[str, str]) -> str:
    """The checksums file: one ``<sha256>  <path>`` line per file (as ``sha256sum`` writes)."""
    header = (
        "# SHA-256 of the files that decide grades: python -m minigrad.lessons.grader.integrity\n"
    )
    return header + "".join(f"{sums[rel]}  {rel}\n" for rel in sorted(sums))


def parse(text: str) -> dict[str, str]:
    """The sums of a checksums file."""
    sums = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            value, _, rel = line.partition("  ")
            sums[rel.strip()] = value.strip()
    return sums


@cache
def _recorded(root: Path) -> dict[str, str]:
    try:
        return parse((root / CHECKSUMS).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BrokenInstallError(
            _broken([f"{CHECKSUMS} cannot be read ({exc.strerror})"])
        ) from None


def _broken(problems: list[str]) -> str:
    shown = "; ".join(problems[:5]) + (
        f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    )
    return (
        f"minigrad's grader files differ from the ones it was built with, so nothing is graded "
        f"(broken install): {shown}. Reinstall minigrad (`pip install --force-reinstall "
        f"minigrad`, or `git checkout lessons/` in a clone); if you changed them on purpose, "
        f"record the new sums: python -m minigrad.lessons.grader.integrity --write"
    )


def problems(root: Path | None = None) -> list[str]:
    """What differs from the recorded sums: changed, missing and unexpected files."""
    root = root or LESSONS
    recorded = _recorded(root)
    found = []
    for rel in sorted(set(recorded) | set(checked_files(root))):
        if rel not in recorded:
            found.append(f"{rel} is not part of the grader (an added file)")
            continue
        try:
            data = (root / rel).read_bytes()
        except OSError:
            found.append(f"{rel} is missing")
            continue
        if digest(data) != recorded[rel]:
            found.append(f"{rel} was changed")
    return found


def verify(root: Path | None = None) -> None:
    """Raise ``BrokenInstallError`` (naming the files) unless every checked file is intact."""
    found = problems(root)
    if found:
        raise BrokenInstallError(_broken(found))


def read_verified(path: Path, root: Path | None = None) -> bytes:
    """The bytes of the checked file ``path``, after comparing them with the recorded sum."""
    root = (root or LESSONS).resolve()
    try:
        rel = Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        raise BrokenInstallError(_broken([f"{path} is not one of the grader's files"])) from None
    data = Path(path).read_bytes()
    expected = _recorded(root).get(rel)
    if expected is None or digest(data) != expected:
        raise BrokenInstallError(_broken([f"{rel} was changed"]))
    return data


def main(argv: list[str] | None = None) -> int:
    """Check the sums, or record them with ``--write``."""
    parser = argparse.ArgumentParser(
        prog="python -m minigrad.lessons.grader.integrity",
        description="Check (or record, with --write) the SHA-256 sums of the grader's files.",
    )
    parser.add_argument("--write", action="store_true", help=f"record the sums in {CHECKSUMS}")
    args = parser.parse_args(argv)
    if args.write:
        (LESSONS / CHECKSUMS).write_text(render(compute()), encoding="utf-8")
        print(f"recorded {len(checked_files())} sums in {LESSONS / CHECKSUMS}")
        return 0
    _recorded.cache_clear()
    found = problems()
    for line in found:
        print(line)
    print("the grader's files are intact" if not found else f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
