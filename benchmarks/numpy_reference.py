"""Hand-written NumPy training steps for the benchmark workloads: no autograd at all.

This is the practical ceiling of any NumPy engine: forward, backward and an
SGD update written directly with arrays, using the same tricks a fused cell
uses (one input-projection product for all steps, one recurrent product per
step, one product per weight gradient at the end). It is independent of
minigrad on purpose, so the benchmark compares against something minigrad's
code could not have influenced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5
    return z


@dataclass
class Layer:
    """One recurrent layer's weights (row-vector convention: x @ U + h @ W + b)."""

    U: np.ndarray
    W: np.ndarray
    b: np.ndarray
    b_hn: np.ndarray | None = None


class NumpyModel:
    """Embedding (or one-hot) -> stacked LSTM/GRU/RNN -> linear -> softmax cross-entropy."""

    def __init__(
        self, kind: str, vocab: int, embed: int | None, hidden: int, layers: int, seed: int = 0
    ):
        rng = np.random.default_rng(seed)
        self.kind, self.vocab, self.hidden = kind, vocab, hidden
        gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
        bound = 1 / np.sqrt(hidden)

        def uni(*shape: int) -> np.ndarray:
            return rng.uniform(-bound, bound, size=shape).astype(np.float32)

        self.E = rng.standard_normal((vocab, embed)).astype(np.float32) if embed else None
        width = embed or vocab
        self.layers = []
        for _ in range(layers):
            b_hn = uni(hidden) if kind == "gru" else None
            self.layers.append(
                Layer(
                    uni(width, gates * hidden),
                    uni(hidden, gates * hidden),
                    uni(gates * hidden),
                    b_hn,
                )
            )
            width = hidden
        self.Wy, self.by = uni(hidden, vocab), uni(vocab)

    def zero_state(self, batch: int) -> list:
        """Zeros for every layer (h, or (h, c) for the LSTM)."""
        z = np.zeros((batch, self.hidden), np.float32)
        return [(z, z) if self.kind == "lstm" else z for _ in self.layers]

    # ----------------------------------------------------------------- layers
    def _layer_forward(self, layer: Layer, x: np.ndarray, state):
        T, B, _ = x.shape
        H = self.hidden
        acts = (x.reshape(T * B, -1) @ layer.U + layer.b).reshape(T, B, -1)
        hs = np.empty((T + 1, B, H), np.float32)
        if self.kind == "lstm":
            hs[0], c = state
            cs = np.empty((T + 1, B, H), np.float32)
            tcs = np.empty((T, B, H), np.float32)
            cs[0] = c
            for t in range(T):
                z = acts[t]
                z += hs[t] @ layer.W
                _sigmoid(z[:, : 2 * H])
                _sigmoid(z[:, 3 * H :])
                np.tanh(z[:, 2 * H : 3 * H], out=z[:, 2 * H : 3 * H])
                cs[t + 1] = z[:, H : 2 * H] * cs[t] + z[:, :H] * z[:, 2 * H : 3 * H]
                np.tanh(cs[t + 1], out=tcs[t])
                hs[t + 1] = z[:, 3 * H :] * tcs[t]
            return hs, (acts, cs, tcs), (hs[T].copy(), cs[T].copy())
        hs[0] = state
        if self.kind == "gru":
            hn_all = np.empty((T, B, H), np.float32)
            for t in range(T):
                hw = hs[t] @ layer.W
                a = acts[t]
                a[:, : 2 * H] += hw[:, : 2 * H]
                _sigmoid(a[:, : 2 * H])
                np.add(hw[:, 2 * H :], layer.b_hn, out=hn_all[t])
                a[:, 2 * H :] += a[:, :H] * hn_all[t]
                np.tanh(a[:, 2 * H :], out=a[:, 2 * H :])
                n, zg = a[:, 2 * H :], a[:, H : 2 * H]
                hs[t + 1] = n + zg * (hs[t] - n)
            return hs, (acts, hn_all), hs[T].copy()
        for t in range(T):
            z = acts[t]
            z += hs[t] @ layer.W
            np.tanh(z, out=z)
            hs[t + 1] = z
        return hs, (acts,), hs[T].copy()

    def _layer_backward(self, layer: Layer, x: np.ndarray, hs, saved, d_out):
        T, B, _ = x.shape
        H = self.hidden
        acts = saved[0]
        dz_all = np.empty_like(acts)
        W_t = np.ascontiguousarray(layer.W.T)
        dh = np.zeros((B, H), np.float32)
        grads = {}
        if self.kind == "lstm":
            _, cs, tcs = saved
            dc = np.zeros((B, H), np.float32)
            for t in range(T - 1, -1, -1):
                dh += d_out[t]
                a, dz = acts[t], dz_all[t]
                i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
                dc += dh * o * (1 - tcs[t] * tcs[t])
                dz[:, 3 * H :] = dh * tcs[t] * o * (1 - o)
                dz[:, :H] = dc * g * i * (1 - i)
                dz[:, H : 2 * H] = dc * cs[t] * f * (1 - f)
                dz[:, 2 * H : 3 * H] = dc * i * (1 - g * g)
                dc = dc * f
                dh = dz @ W_t
            flat = dz_all.reshape(T * B, -1)
            grads["W"] = hs[:-1].reshape(T * B, H).T @ flat
        elif self.kind == "gru":
            _, hn_all = saved
            d_hw_all = np.empty_like(acts)
            for t in range(T - 1, -1, -1):
                dh += d_out[t]
                a, dz, dhw = acts[t], dz_all[t], d_hw_all[t]
                r, zg, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
                dz[:, H : 2 * H] = dh * (hs[t] - n) * zg * (1 - zg)
                dz[:, 2 * H :] = dh * (1 - zg) * (1 - n * n)
                dz[:, :H] = dz[:, 2 * H :] * hn_all[t] * r * (1 - r)
                dhw[:, : 2 * H] = dz[:, : 2 * H]
                dhw[:, 2 * H :] = dz[:, 2 * H :] * r
                dh = dh * zg + dhw @ W_t
            flat_hw = d_hw_all.reshape(T * B, -1)
            grads["W"] = hs[:-1].reshape(T * B, H).T @ flat_hw
            grads["b_hn"] = flat_hw[:, 2 * H :].sum(axis=0)
            flat = dz_all.reshape(T * B, -1)
        else:
            for t in range(T - 1, -1, -1):
                dh += d_out[t]
                np.multiply(dh, 1 - acts[t] * acts[t], out=dz_all[t])
                dh = dz_all[t] @ W_t
            flat = dz_all.reshape(T * B, -1)
            grads["W"] = hs[:-1].reshape(T * B, H).T @ flat
        grads["U"] = x.reshape(T * B, -1).T @ flat
        grads["b"] = flat.sum(axis=0)
        d_x = (flat @ np.ascontiguousarray(layer.U.T)).reshape(T, B, -1)
        return grads, d_x

    # ------------------------------------------------------------------ step
    def train_step(self, x_idx: np.ndarray, y_idx: np.ndarray, state, lr: float = 0.1):
        """One SGD step on ``x_idx``/``y_idx`` ``[B, T]``; returns (loss, new state)."""
        B, T = x_idx.shape
        x_tm = x_idx.T
        inp = self.E[x_tm] if self.E is not None else np.eye(self.vocab, dtype=np.float32)[x_tm]
        layer_inputs, caches, new_state = [], [], []
        h = inp
        for layer, s in zip(self.layers, state):
            layer_inputs.append(h)
            hs, saved, final = self._layer_forward(layer, h, s)
            caches.append((hs, saved))
            new_state.append(final)
            h = hs[1:]
        flat_h = h.reshape(T * B, -1)
        logits = flat_h @ self.Wy + self.by
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        targets = y_idx.T.reshape(-1)
        rows = np.arange(T * B)
        loss = float(-np.log(probs[rows, targets]).mean())
        probs[rows, targets] -= 1
        probs /= T * B
        d_wy = flat_h.T @ probs
        d_by = probs.sum(axis=0)
        d_h = (probs @ np.ascontiguousarray(self.Wy.T)).reshape(T, B, -1)
        for layer, x_in, (hs, saved) in zip(
            reversed(self.layers), reversed(layer_inputs), reversed(caches)
        ):
            grads, d_h = self._layer_backward(layer, x_in, hs, saved, d_h)
            for name, g in grads.items():
                getattr(layer, name)[...] -= lr * g
        if self.E is not None:
            d_e = np.zeros_like(self.E)
            np.add.at(d_e, x_tm, d_h)
            self.E -= lr * d_e
        self.Wy -= lr * d_wy
        self.by -= lr * d_by
        return loss, new_state
