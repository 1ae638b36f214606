import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cortex.datasets import load_digits, load_mnist_5k, orientation_discrimination, train_test_split
from cortex.nn import (
    SGD,
    Adam,
    Conv2D,
    Dense,
    DivergenceWarning,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    evaluate,
    fit,
    mse,
    predict,
    softmax,
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
            match=(
                r"epoch 1, batch \d+: the (cross_entropy loss|gradient of \S+) became NaN or "
                r"infinite.*lower the learning rate \(lr=1e\+150\)"
            ),
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


# -- issue 11: divergence, non-finite losses, extreme logits -------------------------------
def test_sgd_with_a_huge_learning_rate_warns_once_then_stops_clearly(task):
    x, y = task
    model = small_net()
    with pytest.warns(DivergenceWarning) as record:
        with pytest.raises(
            FloatingPointError,
            match=r"epoch 1, batch \d+: the cross_entropy loss became NaN or infinite.*"
            r"lower the learning rate \(lr=1e\+06\)",
        ):
            fit(model, x, y, epochs=3, batch_size=8, optimizer=SGD(1e6), seed=0, progress=False)
    assert len(record) == 1  # once per fit call
    message = str(record[0].message)
    assert "training diverges: the cross_entropy loss reached" in message
    assert "epoch 1, batch" in message and "lower the learning rate (lr=1e+06)" in message
    assert record[0].filename == __file__  # points at the caller of fit
    assert all(np.all(np.isfinite(v)) for v in model.state().values())


def test_adam_with_a_huge_learning_rate_does_not_end_silently(task):
    x, y = task
    with pytest.warns(DivergenceWarning, match="over 1000 times the first batch's") as record:
        history = fit(
            small_net(), x, y, epochs=3, batch_size=8, optimizer=Adam(1e6), seed=0, progress=False
        )
    assert len(record) == 1
    assert max(history.loss) > 1e3  # the loss the warning was about


def test_a_sane_run_does_not_warn(task):
    x, y = task
    # the project's pytest configuration turns any warning into an error
    fit(small_net(), x, y, epochs=2, batch_size=8, optimizer=SGD(0.05), seed=0, progress=False)


def test_a_non_finite_loss_in_train_step_names_the_loss_and_the_learning_rate(task):
    x, y = task
    model = Sequential([Flatten(), Dense(256, 2, dtype="float64", seed=0)])
    model[1].params["weight"][...] = 1e308  # the logits overflow
    with pytest.raises(
        FloatingPointError,
        match=r"the cross_entropy loss became NaN or infinite \(\d+ of the network's outputs"
        r".*lower the learning rate \(lr=0.1\)",
    ):
        train_step(model, x[:4], y[:4], SGD(0.1))
    targets = np.zeros((4, 2))
    model[1].params["weight"][...] = 1e200  # finite outputs, an overflowing squared error
    with pytest.raises(FloatingPointError, match=r"the mse loss became NaN or infinite \(inf\)"):
        train_step(model, x[:4], targets, SGD(0.1), loss="mse")
    model[1].params["weight"][...] = 1e300  # the outputs overflow
    with pytest.raises(FloatingPointError, match="network's outputs for `x` are NaN or infinite"):
        predict(model, x[:4].astype(np.float64) + 1e100)
    model[1].params["weight"][...] = 1e200
    with pytest.raises(FloatingPointError, match="the mse loss on `x` overflows"):
        evaluate(model, x[:4], targets, loss="mse")


def test_flags_and_sizes_of_fit_are_typed(task):
    x, y = task
    kw = {"epochs": 1, "batch_size": 8, "optimizer": SGD(0.1)}
    with pytest.raises(TypeError, match="`progress` must be True or False, got 'no'"):
        fit(small_net(), x, y, progress="no", **kw)
    with pytest.raises(TypeError, match="`micro_batch` must be an integer, got True"):
        fit(small_net(), x, y, micro_batch=True, **kw)
    with pytest.raises(TypeError, match="`seed` must be an integer"):
        fit(small_net(), x, y, seed=1.5, progress=False, **kw)
    with pytest.raises(ValueError, match=r"`y_val` must have shape"):
        fit(
            small_net(),
            x,
            np.eye(2)[y],
            loss="mse",
            validation_data=(x, np.zeros(3)),
            progress=False,
            **kw,
        )


finite_logits = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
    elements=st.floats(-1.7e308, 1.7e308, allow_nan=False, allow_infinity=False),
)


@given(logits=finite_logits, data=st.data())
def test_finite_logits_of_any_size_give_a_finite_loss_and_gradient(logits, data):
    n, k = logits.shape
    labels = data.draw(hnp.arrays(np.intp, (n,), elements=st.integers(0, k - 1)))
    for z in (logits, np.clip(logits, -3e38, 3e38).astype(np.float32)):
        loss, grad = softmax_cross_entropy(z, labels)
        assert np.isfinite(loss) and loss >= 0
        assert grad.dtype == z.dtype and np.all(np.isfinite(grad))
        p = softmax(z)
        assert p.dtype == z.dtype and np.all(np.isfinite(p)) and np.all(p >= 0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_extreme_logits_give_the_saturated_values():
    loss, grad = softmax_cross_entropy(np.array([[1e308, -1e308]]), np.array([1]))
    assert loss == 1e300  # the floor of the log-probabilities (LOG_PROB_FLOOR)
    np.testing.assert_allclose(grad, [[1.0, -1.0]])
    loss, _ = softmax_cross_entropy(np.array([[1e308, -1e308]]), np.array([0]))
    assert loss == 0.0


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_logits_and_targets_are_refused_clearly(bad):
    logits = np.array([[0.0, bad], [1.0, 2.0]])
    with pytest.raises(ValueError, match="`logits` must be finite, got 1 NaN or infinite"):
        softmax_cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match="`logits` must be finite"):
        softmax(logits)
    with pytest.raises(ValueError, match="`prediction` must be finite"):
        mse(logits, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="`target` must be finite"):
        mse(np.zeros((2, 2)), logits)
    with pytest.raises(TypeError, match="`logits` must hold real numbers"):
        softmax("abc")
    with pytest.raises(ValueError, match="`logits` must be 2-D"):
        softmax(np.zeros((2, 0)))


def test_an_overflowing_squared_error_is_refused():
    with pytest.raises(
        ValueError, match=r"the squared error overflows \(largest \|difference\| 2e"
    ):
        mse(np.array([1e200]), np.array([-1e200]))
    value, grad = mse(np.array([1e150]), np.array([0.0]))
    assert np.isfinite(value) and np.isfinite(grad).all()


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
