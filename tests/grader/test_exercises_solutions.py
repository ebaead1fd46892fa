"""The reference solutions are right, checked against code they do not share.

The graded tests compare a student's code with the reference solutions; these
tests compare the reference solutions with independent implementations: the
lessons' own code, minigrad's built-in ops and cells, finite differences, and
the reference numbers of REFERENCE.md. (tests/test_exercises_heal.py then
checks that every solution passes its graded tests.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import load_file
from minigrad.lessons.grader.manifest import load_manifest


def solution(exercise_id: str):
    """The reference solution of ``exercise_id``, loaded by path as the grader does."""
    exercise = load_manifest().get(exercise_id)
    return load_file(exercise.solution_path, "reference_" + exercise_id.replace(".", "_"))


def t64(rng: np.random.Generator, *shape: int, grad: bool = True) -> mg.Tensor:
    return mg.tensor(rng.standard_normal(shape), dtype=np.float64, requires_grad=grad)


def test_gen_batch_matches_lesson1() -> None:
    from minigrad.lessons.lesson1 import data as lesson1

    sol = solution("lesson1.gen_batch")
    raw = sol.gen_data(2003, np.random.default_rng(0))
    ours = list(sol.gen_batch(raw, 7, 9))
    theirs = list(lesson1.gen_batch(raw, 7, 9))
    assert len(ours) == len(theirs) == (2003 // 7) // 9
    for (ox, oy), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(ox, tx)
        np.testing.assert_array_equal(oy, ty)


def test_gen_data_conditional_probabilities() -> None:
    sol = solution("lesson1.gen_batch")
    x, y = sol.gen_data(400_000, np.random.default_rng(1))
    for a, b, p in ((0, 0, 0.5), (1, 0, 1.0), (0, 1, 0.25), (1, 1, 0.75)):
        mask = (x[5:-3] == a) & (x[:-8] == b)
        assert abs(y[8:][mask].mean() - p) < 0.01


def test_expected_loss_reference_numbers() -> None:
    sol = solution("lesson1.expected_loss")
    got = [sol.expected_cross_entropy(f, s) for f, s in ((0, 0), (1, 0), (1, 1))]
    np.testing.assert_allclose(got, [0.661563, 0.519167, 0.454454], atol=5e-7)
    from minigrad.lessons.lesson1.data import expected_loss

    assert sol.expected_cross_entropy(True, False) == pytest.approx(expected_loss((3,)), abs=1e-12)
    # Knowing only the second echo: H(Y | X_{t-8}) = 0.5 H(0.75) + 0.5 H(0.5).
    h = lambda p: -p * math.log(p) - (1 - p) * math.log(1 - p)  # noqa: E731
    assert sol.expected_cross_entropy(False, True) == pytest.approx(0.5 * h(0.75) + 0.5 * h(0.5))


def test_rnn_cell_matches_lesson1_model() -> None:
    from minigrad.lessons.lesson1.model import EchoRNN

    model = EchoRNN(5, rng=np.random.default_rng(0))
    x = mg.one_hot(np.array([0, 1, 1]), 2)
    s = mg.tensor(np.random.default_rng(1).standard_normal((3, 5)), dtype=np.float32)
    np.testing.assert_allclose(
        solution("lesson1.rnn_cell").rnn_cell(x, s, model.W, model.b).numpy(),
        model.rnn_cell(x, s).numpy(),
        rtol=1e-6,
    )


def test_tanh_sigmoid_functions_pass_gradcheck() -> None:
    sol = solution("autograd.tanh_sigmoid")
    rng = np.random.default_rng(0)
    x = t64(rng, 3, 4)
    assert mg.gradcheck(lambda a: sol.Tanh.apply(a), x)
    assert mg.gradcheck(lambda a: sol.Sigmoid.apply(a * 3.0), x)
    big = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = sol.Sigmoid.apply(mg.tensor(big)).numpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, mg.sigmoid(mg.tensor(big)).numpy(), atol=1e-7)


def test_softmax_cross_entropy_matches_builtin() -> None:
    sol = solution("autograd.softmax_cross_entropy")
    rng = np.random.default_rng(0)
    logits = t64(rng, 6, 5)
    targets = rng.integers(0, 5, 6)
    ours = sol.softmax_cross_entropy(logits, targets)
    ours.backward()
    g = logits.grad.copy()
    logits.grad = None
    theirs = mg.cross_entropy(logits, targets)
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(g, logits.grad, rtol=1e-10)
    assert mg.gradcheck(lambda z: sol.softmax_cross_entropy(z, targets), logits)


def test_bptt_matches_autograd() -> None:
    sol = solution("lesson1.bptt")
    rng = np.random.default_rng(0)
    B, T, I, H, C = 3, 4, 2, 5, 3
    x = np.eye(I)[rng.integers(0, I, (B, T))]
    y = rng.integers(0, C, (B, T))
    arrays = {
        "s0": rng.standard_normal((B, H)),
        "W": rng.standard_normal((I + H, H)) * 0.5,
        "b": rng.standard_normal(H),
        "W_out": rng.standard_normal((H, C)),
        "b_out": rng.standard_normal(C),
    }
    loss, grads, final = sol.rnn_forward_backward(
        x, y, arrays["s0"], arrays["W"], arrays["b"], arrays["W_out"], arrays["b_out"]
    )
    p = {k: mg.tensor(v, requires_grad=True) for k, v in arrays.items()}
    s = p["s0"]
    logits = []
    for t in range(T):
        s = mg.tanh(mg.concat([mg.tensor(x[:, t]), s], axis=1) @ p["W"] + p["b"])
        logits.append(s @ p["W_out"] + p["b_out"])
    ref = mg.cross_entropy(mg.stack(logits, axis=1), y)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(final, s.numpy(), rtol=1e-12)
    for name, tensor in p.items():
        np.testing.assert_allclose(grads[name], tensor.grad, rtol=1e-9, atol=1e-12)


def test_train_step_matches_lesson1_training() -> None:
    from minigrad.lessons.lesson1.model import EchoRNN

    sol = solution("lesson1.train_step")
    rng = np.random.default_rng(0)
    ours_model, their_model = EchoRNN(4, rng=np.random.default_rng(1)), EchoRNN(4)
    their_model.load_state_dict(ours_model.state_dict())
    params = dict(ours_model.named_parameters())
    opt_ours = mg.optim.Adagrad(list(params.values()), lr=0.1)
    opt_theirs = mg.optim.Adagrad(their_model.parameters(), lr=0.1)
    s_ours, s_theirs = ours_model.zero_state(3), their_model.zero_state(3)
    for _ in range(3):
        x, y = rng.integers(0, 2, (3, 5)), rng.integers(0, 2, (3, 5))
        loss, s_ours = sol.train_step(params, opt_ours, x, y, s_ours)
        opt_theirs.zero_grad()
        their_loss, s_theirs = their_model(x, y, s_theirs)
        their_loss.backward()
        opt_theirs.step()
        s_theirs = s_theirs.detach()
        assert loss == pytest.approx(their_loss.item(), rel=1e-6)
        assert not s_ours.requires_grad
    for name, value in their_model.state_dict().items():
        np.testing.assert_allclose(ours_model.state_dict()[name], value, rtol=1e-6)


def test_rnn_plugin_passes_the_conformance_kit() -> None:
    from minigrad.cells.conformance import check_cell
    from minigrad.cells.registry import CellRegistry

    module = solution("lesson2.rnn_plugin")
    registry = CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(module,))
    report = check_cell("concat_rnn", registry=registry)
    assert report.ok, report.to_dict()
    # Same numbers as the built-in rnn cell with U and W stacked into one matrix.
    cell = registry.create("concat_rnn", 3, 4, dtype=np.float64)
    builtin = mg.cells.create("rnn", 3, 4, dtype=np.float64, fused=False)
    builtin.U.data[...] = cell.W.data[:3]
    builtin.W.data[...] = cell.W.data[3:]
    builtin.b.data[...] = cell.b.data
    rng = np.random.default_rng(0)
    x, s = t64(rng, 2, 3, grad=False), t64(rng, 2, 4, grad=False)
    np.testing.assert_allclose(cell(x, s)[0].numpy(), builtin(x, s)[0].numpy(), rtol=1e-12)


@pytest.mark.parametrize("steps", [1, 5])
@pytest.mark.parametrize("name", ["rnn", "lstm"])
def test_drivers_match_dynamic_rnn(name: str, steps: int) -> None:
    run_rnn = solution("lesson2.dynamic_rnn").run_rnn
    with_lengths = solution("lesson2.lengths").run_rnn_with_lengths
    cell = mg.cells.create(name, 3, 4, dtype=np.float64, fused=False)
    data = np.random.default_rng(0).standard_normal((3, steps, 3))
    parts = lambda state: state if isinstance(state, tuple) else (state,)  # noqa: E731
    lengths = np.minimum(np.array([5, 2, 3]), steps)
    for ours, lens in ((run_rnn, None), (with_lengths, lengths)):
        grads = []
        for run in (ours, mg.cells.dynamic_rnn):
            inputs = mg.tensor(data, requires_grad=True)
            args = (cell, inputs, cell.zero_state(3)) + ((lens,) if lens is not None else ())
            out, final = run(*args)
            (out.sum() + sum(p.sum() for p in parts(final))).backward()
            grads.append((out.numpy(), [p.numpy() for p in parts(final)], inputs.grad))
        (o1, f1, g1), (o2, f2, g2) = grads
        np.testing.assert_allclose(o1, o2, rtol=1e-12)
        for a, b in zip(f1, f2, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        np.testing.assert_allclose(g1, g2, rtol=1e-12)


def test_unstack_and_split_of_a_single_piece_backpropagate() -> None:
    """Regression: with one piece (T = 1) the gradient came back transposed."""
    x = mg.tensor(np.arange(4.0).reshape(1, 1, 4), requires_grad=True)
    (mg.unstack(x, axis=1)[0] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 4), 2.0))
    y = mg.tensor(np.ones((2, 3)), requires_grad=True)
    (mg.split(y, 1, axis=1)[0] * 3.0).sum().backward()
    np.testing.assert_array_equal(y.grad, np.full((2, 3), 3.0))


def _cell_with(name: str, **options):
    return mg.cells.create(name, 3, 4, dtype=np.float64, fused=False, **options)


@pytest.mark.parametrize(
    ("exercise_id", "cell_name"),
    [("cells.lstm", "lstm"), ("cells.coupled_lstm", "coupled_lstm"), ("cells.gru", "gru")],
)
def test_cells_match_builtin_plugins(exercise_id: str, cell_name: str) -> None:
    module = solution(exercise_id)
    fn = next(getattr(module, n) for n in dir(module) if n.endswith("_cell"))
    options = {"forget_bias": 0.0} if "lstm" in cell_name else {}
    cell = mg.cells.create(cell_name, 3, 4, dtype=np.float64, **options)
    rng = np.random.default_rng(0)
    x = t64(rng, 2, 3, grad=False)
    if cell_name == "gru":
        h = t64(rng, 2, 4, grad=False)
        np.testing.assert_allclose(
            fn(x, h, cell.U, cell.W, cell.b).numpy(), cell(x, h)[0].numpy(), rtol=1e-12
        )
        return
    h, c = t64(rng, 2, 4, grad=False), t64(rng, 2, 4, grad=False)
    h_new, c_new = fn(x, h, c, cell.U, cell.W, cell.b)
    ref_h, (_, ref_c) = cell(x, (h, c))
    np.testing.assert_allclose(h_new.numpy(), ref_h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_new.numpy(), ref_c.numpy(), rtol=1e-12)


def test_peephole_matches_builtin_plugin() -> None:
    fn = solution("cells.peephole_lstm").peephole_lstm_cell
    cell = mg.cells.create("peephole_lstm", 3, 4, dtype=np.float64)
    names = dict(cell.named_parameters())
    rng = np.random.default_rng(0)
    x, h, c = t64(rng, 2, 3), t64(rng, 2, 4), t64(rng, 2, 4)
    h_new, c_new = fn(x, h, c, cell.U, cell.W, cell.b, names["p_i"], names["p_f"], names["p_o"])
    ref_h, (_, ref_c) = cell(x, (h, c))
    np.testing.assert_allclose(h_new.numpy(), ref_h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_new.numpy(), ref_c.numpy(), rtol=1e-12)


def test_vocab_and_batches_match_charlm() -> None:
    from minigrad.lessons.charlm.batches import epoch_size, ptb_iterator
    from minigrad.lessons.charlm.vocab import Vocabulary

    vocab_sol, batch_sol = solution("lesson3.vocab"), solution("lesson3.batches")
    text = "Don Quijote, señor de la Mancha!\nSancho.\t"
    idx_to_vocab, vocab_to_idx = vocab_sol.build_vocab(text)
    vocab = Vocabulary.from_text(text)
    assert idx_to_vocab == vocab.idx_to_vocab
    np.testing.assert_array_equal(vocab_sol.encode(text, vocab_to_idx), vocab.encode(text))
    assert vocab_sol.decode(vocab.encode(text), idx_to_vocab) == text
    assert batch_sol.epoch_size(1_115_394, 32, 200) == 174 == epoch_size(1_115_394, 32, 200)
    data = np.arange(1000)
    ours = list(batch_sol.ptb_iterator(data, 7, 11))
    theirs = list(ptb_iterator(data, 7, 11))
    assert len(ours) == len(theirs)
    for (ox, oy), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(ox, tx)
        np.testing.assert_array_equal(oy, ty)


def test_embedding_backward_matches_builtin() -> None:
    sol = solution("lesson3.embedding_backward")
    rng = np.random.default_rng(0)
    weight = t64(rng, 5, 3)
    ids = np.array([[0, 1, 1], [4, 1, 0]])
    upstream = rng.standard_normal((2, 3, 3))
    (sol.embed(weight, ids) * mg.tensor(upstream)).sum().backward()
    ours = weight.grad.copy()
    weight.grad = None
    (mg.embedding(weight, ids) * mg.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours, weight.grad, rtol=1e-12)
    assert np.abs(ours[1]).sum() > 0 and np.all(ours[2:4] == 0)


@pytest.mark.parametrize(("temperature", "top_k"), [(1.0, 0), (0.5, 3), (2.0, 5), (0.0, 0)])
def test_sampling_matches_charlm(temperature: float, top_k: int) -> None:
    from minigrad.lessons.charlm.generate import next_char_probs

    sol = solution("lesson3.sampling")
    logits = np.random.default_rng(0).standard_normal(9)
    np.testing.assert_allclose(
        sol.next_char_probs(logits, temperature, top_k),
        next_char_probs(logits, temperature, top_k),
        rtol=1e-12,
        atol=1e-15,
    )


def test_noaf_plugin_is_the_built_in_greff_noaf() -> None:
    from minigrad.cells.conformance import check_cell
    from minigrad.cells.registry import CellRegistry

    module = solution("lesson4.noaf_plugin")
    registry = CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(module,))
    assert check_cell("noaf_lstm", registry=registry).ok
    cell = registry.create("noaf_lstm", 3, 4, dtype=np.float64)
    builtin = mg.cells.create("greff_noaf", 3, 4, dtype=np.float64)
    builtin.load_state_dict(cell.state_dict())
    x = t64(np.random.default_rng(0), 2, 5, 3, grad=False)
    np.testing.assert_allclose(
        mg.cells.dynamic_rnn(cell, x)[0].numpy(), mg.cells.dynamic_rnn(builtin, x)[0].numpy()
    )


def test_adding_batch_is_the_shootouts_generator() -> None:
    from minigrad.lessons.shootout import adding_batch

    for length in (2, 9, 100):
        mine = solution("lesson4.adding_batch").adding_batch(7, length, np.random.default_rng(3))
        theirs = adding_batch(7, length, np.random.default_rng(3))
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(a, b)
