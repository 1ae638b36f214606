import os

import numpy as np
import pytest

from cortex.datasets import load_digits, load_mnist_5k, orientation_discrimination, train_test_split
from cortex.nn import (
    SGD,
    Adam,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    evaluate,
    fit,
    load_model,
    load_weights,
    mse,
    predict,
    save_model,
    softmax_cross_entropy,
    train_step,
)


def small_net(seed=0, dtype="float32"):
    return Sequential(
        [
            Conv2D(1, 4, 3, padding=1, seed=seed, dtype=dtype),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dropout(0.2, seed=seed),
            Dense(4 * 8 * 8, 2, seed=seed, dtype=dtype),
        ]
    )


@pytest.fixture(scope="module")
def task():
    return orientation_discrimination(96, size=16, delta=20.0, noise=0.3, seed=1)


def test_losses_against_oracles(rng):
    logits = rng.standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    loss, grad = softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])))
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(grad, (p - onehot) / 5)
    big = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([0]))[0]
    assert np.isfinite(big) and big == pytest.approx(0.0)
    t = rng.standard_normal((5, 3))
    value, g = mse(logits, t)
    assert value == pytest.approx(np.mean((logits - t) ** 2))
    np.testing.assert_allclose(g, 2 * (logits - t) / 15)


def test_optimisers_follow_their_update_rules():
    for opt, rule in (
        (SGD(0.1), lambda w, g, s: w - 0.1 * g),
        (SGD(0.1, momentum=0.9, weight_decay=0.01), None),
        (Adam(0.01), None),
    ):
        model = Sequential([Dense(3, 2, seed=0, dtype="float64")])
        w0 = model[0].params["weight"].copy()
        g = np.arange(6.0).reshape(2, 3) / 10
        model[0].grads["weight"][...] = g
        opt.step(model)
        w1 = model[0].params["weight"]
        if rule is not None:
            np.testing.assert_allclose(w1, rule(w0, g, None))
        elif isinstance(opt, Adam):  # first Adam step: lr * sign(g) where g != 0
            np.testing.assert_allclose(w1 - w0, -0.01 * np.sign(g), atol=1e-6)
        else:  # first momentum step: v = g + wd * w
            np.testing.assert_allclose(w1, w0 - 0.1 * (g + 0.01 * w0))


def test_optimisers_over_several_steps_match_the_torch_formulas(rng):
    grads = [rng.standard_normal((2, 3)) for _ in range(5)]
    w0 = rng.standard_normal((2, 3))

    def run(opt):
        model = Sequential([Dense(3, 2, bias=False, dtype="float64")])
        model[0].params["weight"][...] = w0
        for g in grads:
            model[0].grads["weight"][...] = g
            opt.step(model)
        return model[0].params["weight"]

    # oracles written from the torch.optim documentation
    for nesterov in (False, True):
        w, v = w0.copy(), np.zeros_like(w0)
        for g in grads:
            g = g + 0.01 * w
            v = 0.8 * v + g
            w = w - 0.1 * (g + 0.8 * v if nesterov else v)
        np.testing.assert_allclose(
            run(SGD(0.1, momentum=0.8, weight_decay=0.01, nesterov=nesterov)), w, rtol=1e-12
        )
    w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    b1, b2 = 0.7, 0.9
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - 0.05 * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
    np.testing.assert_allclose(run(Adam(0.05, betas=(b1, b2))), w, rtol=1e-12)
    with pytest.raises(TypeError, match=r"`betas` must be a pair"):
        Adam(betas=0.9)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_micro_batches_give_the_same_update_as_the_whole_batch(task, loss):
    x, y = task
    x = x[:30].astype(np.float64)
    y = y[:30] if loss == "cross_entropy" else np.eye(2)[y[:30]]
    updated = []
    for micro in (None, 7):
        model = small_net(seed=1, dtype="float64")
        model[4].p = 0.0  # no dropout: the masks would differ
        value, outputs = train_step(model, x, y, SGD(0.1), loss=loss, micro_batch=micro)
        updated.append((value, outputs, model.state()))
    (v1, o1, s1), (v2, o2, s2) = updated
    assert v1 == pytest.approx(v2, rel=1e-12)
    np.testing.assert_allclose(o1, o2, rtol=1e-12)
    for key in s1:
        np.testing.assert_allclose(s1[key], s2[key], rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="`micro_batch` must be >= 1"):
        train_step(small_net(), x, y, SGD(0.1), loss=loss, micro_batch=0)


def test_an_overflowing_update_restores_the_weights(task):
    x, y = task
    model = small_net(dtype="float32")
    with np.errstate(all="ignore"):
        with pytest.raises(FloatingPointError, match="the weights were restored"):
            fit(model, x, y, epochs=1, batch_size=8, optimizer=SGD(1e39), progress=False)
    assert all(np.all(np.isfinite(v)) for v in model.state().values())


def test_training_is_reproducible_and_learns(task):
    x, y = task
    runs = []
    for _ in range(2):
        model = small_net(seed=3)
        history = fit(
            model, x, y, epochs=12, batch_size=16, optimizer=Adam(0.01), seed=5, progress=False
        )
        runs.append((model, history))
    (m1, h1), (m2, h2) = runs
    for (_, a, _), (_, b, _) in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit
    assert h1.loss == h2.loss
    assert h1.loss[-1] < 0.5 * h1.loss[0]  # learnable task: the loss falls
    loss, acc = evaluate(m1, x, y)
    assert acc > 0.9
    assert predict(m1, x).shape == (96, 2)


def test_fit_with_validation_and_progress_bar(task, capsys):
    x, y = task
    h = fit(
        small_net(),
        x[:64],
        y[:64],
        epochs=2,
        batch_size=32,
        optimizer=SGD(0.05, momentum=0.9),
        validation_data=(x[64:], y[64:]),
        seed=0,
    )
    assert len(h.val_loss) == len(h.val_accuracy) == 2
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "loss" in err and "acc" in err and "val_acc" in err


def test_nan_stops_training_before_the_weights_break(task):
    x, y = task
    bad = x.copy()
    bad[3, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="`x` must be finite"):
        fit(small_net(), bad, y, epochs=1, batch_size=8, optimizer=SGD(0.1), progress=False)
    model = small_net(dtype="float64")
    with np.errstate(all="ignore"):
        with pytest.raises(
            FloatingPointError,
            match=r"epoch 1, batch \d+: the (loss|gradient of \S+) became NaN or infinite",
        ):
            fit(
                model,
                x.astype(np.float64) * 1e150,
                y,
                epochs=1,
                batch_size=8,
                optimizer=SGD(1e150),
                progress=False,
            )
    assert all(np.all(np.isfinite(p)) for _, p, _ in model.parameters())


def test_bad_training_arguments(task):
    x, y = task
    model = small_net()
    kw = {"epochs": 1, "batch_size": 8, "optimizer": SGD(0.1), "progress": False}
    with pytest.raises(ValueError, match=r"`labels` must be in \[0, 2\), got 5"):
        fit(model, x, np.full(96, 5), **kw)
    with pytest.raises(ValueError, match=r"`labels` must be in \[0, 2\), got -1"):
        fit(model, x, -np.ones(96, int), **kw)
    with pytest.raises(TypeError, match="`labels` must be integers"):
        fit(model, x, np.full(96, 0.5), **kw)
    with pytest.raises(ValueError, match=r"`labels` must have shape \(96,\)"):
        fit(model, x, y[:10], **kw)
    with pytest.raises(ValueError, match="expects 1 input channel"):
        fit(model, np.repeat(x, 2, axis=1), y, **kw)
    with pytest.raises(ValueError, match="`epochs` must be >= 1"):
        fit(model, x, y, epochs=0, batch_size=8, optimizer=SGD(0.1))
    with pytest.raises(TypeError, match="`batch_size` must be an integer"):
        fit(model, x, y, epochs=1, batch_size=8.0, optimizer=SGD(0.1))
    with pytest.raises(TypeError, match="`optimizer` must be an Optimizer"):
        fit(model, x, y, epochs=1, batch_size=8, optimizer="sgd")
    with pytest.raises(ValueError, match="`loss` must be one of"):
        fit(model, x, y, loss="hinge", **kw)
    with pytest.raises(ValueError, match="`lr` must be > 0"):
        SGD(-1.0)
    with pytest.raises(ValueError, match="`momentum` must be < 1"):
        SGD(0.1, momentum=1.0)


# -- save / load ------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path, task):
    x, _ = task
    model = small_net(seed=4)
    model[0].trainable = False
    path = save_model(model, tmp_path / "net")
    assert path.name == "net.npz"
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left behind
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert "__architecture__" in data.files
    loaded = load_model(path)
    np.testing.assert_array_equal(predict(loaded, x), predict(model.eval(), x))
    assert not loaded[0].trainable
    other = small_net(seed=9)
    load_weights(other, path)
    np.testing.assert_array_equal(other[0].params["weight"], model[0].params["weight"])


def test_load_rejects_bad_files(tmp_path):
    path = save_model(small_net(), tmp_path / "net.npz")
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_model(tmp_path / "cut.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a cortex model file"):
        load_model(tmp_path / "plain.npz")
    different = Sequential([Flatten(), Dense(16 * 16, 2)])
    with pytest.raises(ValueError, match="different architecture"):
        load_weights(different, path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz")


# -- data -----------------------------------------------------------------------------
def test_orientation_discrimination():
    x, y = orientation_discrimination(40, size=24, seed=0)
    assert x.shape == (40, 1, 24, 24) and x.dtype == np.float32
    assert set(np.unique(y)) == {0, 1} and y.sum() == 20
    x2, y2 = orientation_discrimination(40, size=24, seed=0)
    np.testing.assert_array_equal(x, x2)
    with pytest.raises(ValueError, match="`delta` must be > 0"):
        orientation_discrimination(10, delta=0)


def test_shipped_datasets():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert set(np.unique(y)) == set(range(10))
    x, y = load_mnist_5k()
    assert x.shape == (5000, 1, 28, 28) and x.max() <= 1 and np.bincount(y).tolist() == [500] * 10
    xtr, ytr, xte, yte = train_test_split(x, y, test_fraction=0.2, seed=0)
    assert len(xte) == 1000 and np.bincount(yte).tolist() == [100] * 10
    index = np.arange(5000)
    itr, jtr, ite, jte = train_test_split(index, y, test_fraction=0.2, seed=0)
    assert np.intersect1d(itr, ite).size == 0  # disjoint
    assert np.union1d(itr, ite).size == 5000  # and together everything
    np.testing.assert_array_equal(jtr, y[itr])  # labels stay with their samples
    np.testing.assert_array_equal(xte, x[ite])  # same seed, same split


def test_missing_extra_names_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith(("sklearn", "mlxtend")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"cortex\[data\]"):
        load_digits()
    with pytest.raises(ImportError, match=r"cortex\[data\]"):
        load_mnist_5k()
