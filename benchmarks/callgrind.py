"""CPU instructions of a process, counted by valgrind's callgrind (a count load cannot move).

``ab_overhead.py --callgrind`` and ``profile_fused.py --callgrind`` both take
the difference between two run lengths of the same program, so that start-up
cancels out; this module runs one of them and reads the total.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def instructions(command: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    """Instructions (callgrind's Ir) that ``command`` executed, start-up included."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            env=env,
            cwd=cwd,
            capture_output=True,
            check=True,
        )
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"callgrind wrote no summary line for {command}")
