"""``cortex train``: a Gabor-initialised ConvNet trained on 8x8 digits, and its filters.

:func:`setup` loads scikit-learn's digits (the extra ``cortex[data]``);
:func:`run` trains the network of :func:`digits_model` with Adam, saves it,
measures how Gabor-like its first-layer filters are after training and at a
random initialisation (:func:`cortex.analysis.gabor_likeness`), draws the
learning curve and the filters and writes summary.json (:data:`FILES`).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from . import CommandFailed, MissingData
from .output import Writer, arguments, collect_warnings, pyplot

__all__ = ["DIGIT_PPD", "FILES", "N_TRAIN_SMALL", "digits_model", "run", "setup"]

#: Files written by ``train``.
FILES = {
    "model.npz": "the trained network (cortex.nn.load_model)",
    "learning_curve.png": "loss and accuracy per epoch",
    "filters.png": "first-layer filters, trained and random",
    "summary.json": "history, held-out accuracy, Gabor-likeness",
}

#: Pixels per degree of the digits (an 8-pixel digit spans 1 degree).
DIGIT_PPD = 8.0
#: Training digits with ``--small``.
N_TRAIN_SMALL = 400


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Load the digits, split them and check ``--batch-size`` against the training set.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``train``: ``seed`` (the split), ``small``
        (train on :data:`N_TRAIN_SMALL` digits) and ``batch_size``.

    Returns
    -------
    dict
        ``x_train``, ``y_train``, ``x_test`` and ``y_test``.

    Raises
    ------
    cortex.cli.MissingData
        If scikit-learn (the extra ``cortex[data]``) is not installed.
    ValueError
        If ``--batch-size`` exceeds the number of training digits.
    """
    from .. import datasets

    try:
        images, labels = datasets.load_digits()
    except ImportError as exc:
        raise MissingData(str(exc)) from None
    x_train, y_train, x_test, y_test = datasets.train_test_split(
        images, labels, test_fraction=0.2, seed=args.seed
    )
    if args.small:
        x_train, y_train = x_train[:N_TRAIN_SMALL], y_train[:N_TRAIN_SMALL]
    if args.batch_size > len(y_train):
        raise ValueError(
            f"argument --batch-size: must be at most the number of training digits, "
            f"{len(y_train)}{' with --small' if args.small else ''}, got {args.batch_size}"
        )
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def digits_model(seed: int) -> tuple[Any, Any]:
    """Build the ConvNet for the 8x8 digits.

    Parameters
    ----------
    seed : int
        Seed of the layers after the first.

    Returns
    -------
    model : cortex.nn.Sequential
        8 trainable 5x5 Gabor filters (4 orientations x 2 phases, 2 cycles/deg),
        ReLU, 2x2 max-pooling, a 3x3 convolution to 16 maps, ReLU, 2x2
        max-pooling and a dense read-out to 10 classes.
    front_end : cortex.nn.Conv2D
        The first layer.
    """
    import numpy as np

    from .. import Gabor
    from ..nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential

    gabors = [
        Gabor(2.0, orientation, phase, sigma_x=0.15)
        for orientation in np.arange(0.0, 180.0, 45.0)
        for phase in (0.0, 90.0)
    ]
    front_end = Conv2D.from_receptive_fields(gabors, DIGIT_PPD, kernel_size=5, trainable=True)
    model = Sequential(
        [
            front_end,
            ReLU(),
            MaxPool2D(2),
            Conv2D(8, 16, 3, padding=1, seed=seed + 1),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(16 * 2 * 2, 10, seed=seed + 2),
        ]
    )
    return model, front_end


def run(
    args: argparse.Namespace, prepared: dict[str, Any], writer: Writer
) -> tuple[list[str], list[str]]:
    """Train, save the model, measure the filters and write the figures and summary.json.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``train``; the default of ``epochs`` (10, 2
        with ``small``) is filled in.
    prepared : dict
        What :func:`setup` returned.
    writer : cortex.cli.output.Writer
        Writes into ``--out``.

    Returns
    -------
    results : list of str
        One line: the held-out accuracy and the Gabor-like fractions.
    notes : list of str
        The warnings raised on the way.

    Raises
    ------
    cortex.cli.CommandFailed
        If training diverges: :func:`cortex.nn.fit` raises
        :class:`FloatingPointError` (a non-finite loss, gradient or weight) or
        warns :class:`cortex.nn.DivergenceWarning` (the loss explodes), which
        is treated as an error and stops the training at once.
    """
    import numpy as np

    from ..analysis import gabor_likeness
    from ..nn import Adam, Conv2D, DivergenceWarning, evaluate, fit, save_model
    from ..plotting import plot_filter_grid

    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    epochs = args.epochs if args.epochs is not None else (2 if args.small else 10)
    args.epochs = epochs  # for summary.json
    x_train, y_train = prepared["x_train"], prepared["y_train"]
    x_test, y_test = prepared["x_test"], prepared["y_test"]
    model, front_end = digits_model(args.seed)
    with collect_warnings() as notes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", DivergenceWarning)  # diverging is a failure
                history = fit(
                    model,
                    x_train,
                    y_train,
                    epochs=epochs,
                    batch_size=args.batch_size,
                    optimizer=Adam(args.lr),
                    validation_data=(x_test, y_test),
                    seed=args.seed,
                    progress=sys.stderr.isatty(),
                )
                test_loss, test_accuracy = evaluate(model, x_test, y_test)
        except (FloatingPointError, DivergenceWarning) as exc:
            raise CommandFailed(
                f"training diverged with --lr {args.lr:g}: {exc}; try a smaller --lr"
            ) from None
        if not np.isfinite(test_loss):
            raise CommandFailed(
                f"training diverged with --lr {args.lr:g}: the held-out loss is {test_loss}; "
                "try a smaller --lr"
            )
        model_path = save_model(model, writer.out / "model.npz")
        writer.written.append(model_path)
        trained = front_end.params["weight"]
        random_init = Conv2D(1, trained.shape[0], trained.shape[-2:], seed=args.seed)
        threshold = 0.8
        like_trained, fits_trained = gabor_likeness(
            trained, threshold=threshold, pixels_per_degree=DIGIT_PPD
        )
        like_random, fits_random = gabor_likeness(
            random_init.params["weight"], threshold=threshold, pixels_per_degree=DIGIT_PPD
        )

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
        epoch = np.arange(1, epochs + 1)
        axes[0].plot(epoch, history.loss, "o-", label="training")
        axes[0].plot(epoch, history.val_loss, "s-", label="held out")
        axes[0].set_ylabel("cross-entropy loss")
        axes[1].plot(epoch, history.accuracy, "o-", label="training")
        axes[1].plot(epoch, history.val_accuracy, "s-", label="held out")
        axes[1].axhline(0.1, color="0.5", lw=0.8, ls=":", label="chance")
        axes[1].set_ylabel("accuracy")
        for ax in axes:
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize="small")
        fig.suptitle(
            f"8x8 digits: held-out accuracy {test_accuracy:.3f} ({len(y_test)} digits, "
            f"trained on {len(y_train)})"
        )
        writer.figure(fig, "learning_curve.png")

        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
        plot_filter_grid(trained, fits_trained, ax=axes[0], pixels_per_degree=DIGIT_PPD)
        axes[0].set_title(
            f"trained (Gabor init): {like_trained:.0%} Gabor-like (R^2 >= {threshold})",
            fontsize="medium",
        )
        plot_filter_grid(
            random_init.params["weight"], fits_random, ax=axes[1], pixels_per_degree=DIGIT_PPD
        )
        axes[1].set_title(
            f"random init: {like_random:.0%} Gabor-like (R^2 >= {threshold})", fontsize="medium"
        )
        fig.suptitle("first-layer filters (top) and their Gabor fits (bottom, R^2)")
        writer.figure(fig, "filters.png")

    def r2(fits: list) -> list[float | None]:
        return [None if f is None else f.r2 for f in fits]

    summary = {
        "command": "train",
        "arguments": arguments(args),
        "data": {
            "name": "scikit-learn digits (8x8)",
            "n_train": len(y_train),
            "n_test": len(y_test),
            "pixels_per_degree": DIGIT_PPD,
        },
        "architecture": model.architecture(),
        "epochs": epochs,
        "history": history.as_dict(),
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "gabor_likeness": {
            "threshold": threshold,
            "trained": like_trained,
            "random_init": like_random,
            "r2_trained": r2(fits_trained),
            "r2_random_init": r2(fits_random),
        },
        "model": str(model_path),
        "warnings": notes,
    }
    writer.json(summary)
    line = (
        f"held-out accuracy {test_accuracy:.3f}; Gabor-like first-layer filters: "
        f"{like_trained:.0%} trained vs {like_random:.0%} at a random init"
    )
    return [line], notes
