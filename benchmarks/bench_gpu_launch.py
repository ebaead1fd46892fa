"""Where a fused LSTM's time goes on a GPU: the cost of each call one time step makes.

    python benchmarks/bench_gpu_launch.py          # needs CuPy and a CUDA GPU

On a GPU the arithmetic of one small time step takes a few microseconds; what
costs is the CPU side of every call: slicing a view, launching the gate kernel,
calling cuBLAS. This prints, for W2's sizes (batch 32, LSTM 128), the
microseconds per call of each piece, measured in a loop of many calls with one
synchronisation at the end, and the time of one whole fused sequence (50 steps)
forward and backward, next to what those per-call costs add up to.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

import minigrad as mg
from minigrad import backend
from minigrad.fused import cuda_kernels

B, H, I, T = 32, 128, 64, 50


def per_call_us(fn: Callable[[], object], calls: int = 2000) -> float:
    """Microseconds per call of ``fn``, with the GPU synchronised before and after."""
    cp = backend.cupy_module()
    fn()
    cp.cuda.Device().synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    cp.cuda.Device().synchronize()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> int:
    """Print the per-call costs and the whole-sequence time."""
    if not backend.gpu_available():
        print("needs CuPy and a CUDA GPU")
        return 1
    cp = backend.cupy_module()
    rng = cp.random.default_rng(0)
    f32 = cp.float32
    acts = rng.standard_normal((T, B, 4 * H), dtype=f32)
    hs = rng.standard_normal((T + 1, B, H), dtype=f32)
    W = rng.standard_normal((H, 4 * H), dtype=f32)
    hw = cp.empty((B, 4 * H), f32)
    h, c, tc = (cp.empty((B, H), f32) for _ in range(3))
    lstm_forward = cuda_kernels.kernel("lstm_forward")
    rows = {
        "view acts[t]": per_call_us(lambda: acts[7]),
        "matmul h @ W (out=)": per_call_us(lambda: cp.matmul(hs[3], W, out=hw)),
        "gate kernel (forward)": per_call_us(
            lambda: lstm_forward(hw, hs[2], hs[3], hs, 0, hs, H, 0, acts[5], h, c, tc)
        ),
        "elementwise a * b": per_call_us(lambda: h * c),
    }
    x = mg.tensor(np.random.default_rng(0).normal(size=(B, T, I)).astype(np.float32), device="cuda")
    cell = mg.cells.create("lstm", I, H, rng=np.random.default_rng(1)).to("cuda")
    x.requires_grad_()

    def sequence() -> None:
        out, _ = mg.cells.dynamic_rnn(cell, x)
        out.sum().backward()

    rows[f"fused LSTM, {T} steps, fwd+bwd"] = per_call_us(sequence, calls=20)
    print(f"GPU: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}, CuPy {cp.__version__}")
    for name, us in rows.items():
        print(f"  {name:34s} {us:10.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
