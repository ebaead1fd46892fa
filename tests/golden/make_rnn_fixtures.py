"""Generate ``rnn_fixtures.npz``: PyTorch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` runs to test against.

Run from the repository root (needs ``pip install torch==2.13.0``; the tests never do)::

    python tests/golden/make_rnn_fixtures.py

Every configuration runs in float64 with ``batch_first=True`` from a fixed seed
and stores, under ``<config>/...``:

* ``config``: a JSON string (mode, nonlinearity, sizes, layers, directions,
  whether lengths and an initial state are used);
* ``torch/<key>``: the module's state dict (``weight_ih_l0``, ...);
* ``x`` [B, T, I], ``lengths`` [B] (ragged configs run through
  ``pack_padded_sequence(enforce_sorted=False)`` and are padded back with zeros),
  ``h0``/``c0`` [L*D, B, H] when the config passes an initial state;
* ``out`` [B, T, D*H], ``h_n`` (and ``c_n``) [L*D, B, H] in torch's order
  (layer-major, direction inner);
* ``loss_out``, ``loss_h`` (``loss_c``): the fixed weights of the scalar loss
  ``sum(out * loss_out) + sum(h_n * loss_h) (+ sum(c_n * loss_c))``;
* ``grad/x``, ``grad/h0``, ``grad/c0`` and ``grad/torch/<key>``: torch's
  gradients of that loss w.r.t. the inputs, initial states and every parameter;
* ``split/<key>`` and ``split_out``: the state dict with minigrad's export bias
  split (everything in ``bias_ih`` except the GRU n block, whose ``bias_hh``
  part stays) and torch's outputs with it, computed here with torch alone, so a
  test can check that minigrad's export reproduces torch's forward.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT_FILE = Path(__file__).with_name("rnn_fixtures.npz")

CONFIGS = {
    "rnn_tanh_2layers": dict(
        mode="RNN", nonlinearity="tanh", I=3, H=4, L=2, bidir=False, B=3, T=5, ragged=None, h0=True
    ),
    "rnn_relu_bidir": dict(
        mode="RNN", nonlinearity="relu", I=4, H=3, L=1, bidir=True, B=2, T=4, ragged=None, h0=False
    ),
    "lstm_2layers_bidir": dict(
        mode="LSTM", nonlinearity=None, I=3, H=4, L=2, bidir=True, B=3, T=4, ragged=None, h0=True
    ),
    "gru_3layers": dict(
        mode="GRU", nonlinearity=None, I=2, H=3, L=3, bidir=False, B=2, T=5, ragged=None, h0=True
    ),
    "lstm_bidir_ragged": dict(
        mode="LSTM",
        nonlinearity=None,
        I=3,
        H=3,
        L=2,
        bidir=True,
        B=4,
        T=6,
        ragged=[3, 6, 1, 4],
        h0=True,
    ),
    # The longest sequence is shorter than T: pad_packed_sequence needs total_length.
    "gru_bidir_ragged": dict(
        mode="GRU",
        nonlinearity=None,
        I=4,
        H=3,
        L=1,
        bidir=True,
        B=3,
        T=5,
        ragged=[2, 4, 1],
        h0=False,
    ),
}


def build(cfg: dict) -> torch.nn.Module:
    """The torch module of one configuration (float64, batch_first)."""
    common = dict(
        input_size=cfg["I"],
        hidden_size=cfg["H"],
        num_layers=cfg["L"],
        bidirectional=cfg["bidir"],
        batch_first=True,
        dtype=torch.float64,
    )
    if cfg["mode"] == "RNN":
        return torch.nn.RNN(nonlinearity=cfg["nonlinearity"], **common)
    return getattr(torch.nn, cfg["mode"])(**common)


def run(module: torch.nn.Module, cfg: dict, x: torch.Tensor, init: tuple | None):
    """Forward pass; ragged batches go through a packed sequence and come back zero-padded."""
    lstm = cfg["mode"] == "LSTM"
    hx = None if init is None else (init if lstm else init[0])
    if cfg["ragged"] is None:
        out, final = module(x, hx)
    else:
        lengths = torch.tensor(cfg["ragged"], dtype=torch.int64)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out_packed, final = module(packed, hx)
        out, _ = pad_packed_sequence(
            out_packed, batch_first=True, padding_value=0.0, total_length=cfg["T"]
        )
    finals = final if lstm else (final,)
    return out, finals


def split_bias(state: dict, mode: str, hidden: int) -> dict:
    """minigrad's export split: bias_ih = bias_ih + bias_hh, bias_hh = 0 (GRU n block kept)."""
    result = {}
    for key, value in state.items():
        if key.startswith("bias_hh"):
            continue
        if key.startswith("bias_ih"):
            hh_key = key.replace("bias_ih", "bias_hh")
            ih, hh = value.clone(), state[hh_key].clone()
            if mode == "GRU":
                keep = slice(2 * hidden, 3 * hidden)
                ih[: 2 * hidden] += hh[: 2 * hidden]
                new_hh = torch.zeros_like(hh)
                new_hh[keep] = hh[keep]
            else:
                ih += hh
                new_hh = torch.zeros_like(hh)
            result[key], result[hh_key] = ih, new_hh
        else:
            result[key] = value.clone()
    return result


def make(name: str, cfg: dict, seed: int) -> dict[str, np.ndarray]:
    """Every array of one configuration, keyed ``<name>/...``."""
    torch.manual_seed(seed)
    module = build(cfg)
    lstm = cfg["mode"] == "LSTM"
    dirs = 2 if cfg["bidir"] else 1
    B, T, H, LD = cfg["B"], cfg["T"], cfg["H"], cfg["L"] * dirs
    # Padded steps of ragged batches hold random values too: they must not leak anywhere.
    x = torch.randn(B, T, cfg["I"], dtype=torch.float64, requires_grad=True)
    init = None
    if cfg["h0"]:
        parts = 2 if lstm else 1
        init = tuple(
            (0.5 * torch.randn(LD, B, H, dtype=torch.float64)).requires_grad_(True)
            for _ in range(parts)
        )
    out, finals = run(module, cfg, x, init)
    loss_out = torch.randn(out.shape, dtype=torch.float64)
    loss_fin = [torch.randn(f.shape, dtype=torch.float64) for f in finals]
    loss = (out * loss_out).sum() + sum((f * w).sum() for f, w in zip(finals, loss_fin))
    loss.backward()

    meta = dict(
        mode=cfg["mode"],
        nonlinearity=cfg["nonlinearity"],
        input_size=cfg["I"],
        hidden_size=H,
        num_layers=cfg["L"],
        bidirectional=cfg["bidir"],
        ragged=cfg["ragged"] is not None,
        initial_state=cfg["h0"],
        seed=seed,
        torch_version=torch.__version__,
    )
    arrays = {
        "config": np.array(json.dumps(meta, sort_keys=True)),
        "x": x.detach().numpy(),
        "lengths": np.array(cfg["ragged"] or [T] * B, dtype=np.int64),
        "out": out.detach().numpy(),
        "h_n": finals[0].detach().numpy(),
        "loss_out": loss_out.numpy(),
        "loss_h": loss_fin[0].numpy(),
        "grad/x": x.grad.numpy(),
    }
    if lstm:
        arrays["c_n"] = finals[1].detach().numpy()
        arrays["loss_c"] = loss_fin[1].numpy()
    if init is not None:
        for label, part in zip(("h0", "c0"), init):
            arrays[label] = part.detach().numpy()
            arrays[f"grad/{label}"] = part.grad.numpy()
    for key, p in module.named_parameters():
        arrays[f"torch/{key}"] = p.detach().numpy().copy()  # load_state_dict below writes in place
        arrays[f"grad/torch/{key}"] = p.grad.numpy().copy()

    split = split_bias(dict(module.state_dict()), cfg["mode"], H)
    module.load_state_dict(split)
    with torch.no_grad():
        split_out, _ = run(module, cfg, x.detach(), None if init is None else init)
    for key, value in split.items():
        arrays[f"split/{key}"] = value.numpy()
    arrays["split_out"] = split_out.numpy()
    np.testing.assert_allclose(arrays["split_out"], arrays["out"], rtol=0, atol=1e-12)
    if cfg["ragged"] is not None:
        lengths = np.array(cfg["ragged"])
        padded = np.arange(T)[None, :] >= lengths[:, None]
        assert not arrays["out"][padded].any(), "torch left non-zero padded outputs"
    return {f"{name}/{k}": np.ascontiguousarray(v) if v.ndim else v for k, v in arrays.items()}


def main() -> None:
    """Write every configuration into one ``.npz`` (no object arrays)."""
    arrays: dict[str, np.ndarray] = {}
    for seed, (name, cfg) in enumerate(CONFIGS.items(), start=100):
        arrays.update(make(name, cfg, seed))
    assert all(a.dtype != object for a in arrays.values())
    np.savez(OUT_FILE, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(CONFIGS)} configs to {OUT_FILE}")


if __name__ == "__main__":
    main()
