"""
A ConvNet goes to PyTorch and comes back: its units' tuning, before and after
=============================================================================

A model trained in cortex can leave it: :func:`cortex.nn.to_torch` turns it into a
``torch.nn.Sequential`` with the same parameters, outputs and gradients, so it can be
trained on with PyTorch's optimisers (or on a GPU); :func:`cortex.nn.from_torch` brings
it back, so its units can be studied with :mod:`cortex.analysis` like any simulated
neuron.

Here a small ConvNet is pretrained in cortex on scikit-learn's 8 x 8 digits (shipped in
its wheel, :func:`cortex.datasets.load_digits`), exported to PyTorch, trained a few more
epochs there, imported back, and the orientation tuning of its first-layer units is
measured with drifting gratings (:func:`cortex.analysis.tuning_curve`) before and after
the PyTorch training.

This example needs PyTorch: ``pip install 'cortex[torch]'``.
"""

# %%
# Pretraining in cortex
# ---------------------
# The digits are 8 x 8 pixels; we say a digit spans 1 degree of visual angle (8 px/deg),
# so gratings up to the Nyquist frequency of 4 cycles/degree can be shown.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from cortex import VisualField
from cortex.analysis import tuning_curve
from cortex.datasets import load_digits, train_test_split
from cortex.nn import (
    Adam,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    evaluate,
    fit,
    from_torch,
    predict,
    to_torch,
)
from cortex.plotting import plot_filter_grid, plot_tuning_curve

SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES = os.environ.get("CORTEX_FIGURES_DIR")
PPD = 8.0
torch.manual_seed(0)
torch.set_num_threads(1)  # a network this small runs fastest on one thread
start = time.perf_counter()

images, labels = load_digits()
x_train, y_train, x_test, y_test = train_test_split(images, labels, test_fraction=0.25, seed=0)
if SMALL:
    x_train, y_train, x_test, y_test = x_train[:300], y_train[:300], x_test[:200], y_test[:200]

model = Sequential(
    [
        Conv2D(1, 8, 3, padding=1, seed=0),
        ReLU(),
        MaxPool2D(2),
        Conv2D(8, 16, 3, padding=1, seed=1),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dense(16 * 2 * 2, 10, seed=2),
    ]
)
fit(
    model,
    x_train,
    y_train,
    epochs=3 if SMALL else 6,
    batch_size=32,
    optimizer=Adam(3e-3),
    seed=0,
    progress=False,
)
_, accuracy_cortex = evaluate(model, x_test, y_test)
print(
    f"held-out accuracy after pretraining in cortex: {accuracy_cortex:.3f} ({len(y_test)} digits)"
)

# %%
# Export to PyTorch
# -----------------
# Each cortex layer becomes its torch counterpart, with its parameters copied; the two
# models compute the same outputs (to float32 rounding).
net = to_torch(model)
print(net)
with torch.no_grad():
    logits_torch = net(torch.from_numpy(x_test)).numpy()
logits_cortex = predict(model, x_test)
difference = np.abs(logits_torch - logits_cortex).max() / np.abs(logits_cortex).max()
print(f"cortex vs torch outputs: max difference {difference:.1e} of the largest output")

# %%
# Training on in PyTorch
# ----------------------
# An ordinary PyTorch training loop: Adam on the cross-entropy, mini-batches of 32.
x_t, y_t = torch.from_numpy(x_train), torch.from_numpy(y_train)
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
generator = torch.Generator().manual_seed(0)
net.train()
for _ in range(3 if SMALL else 6):
    for batch in torch.randperm(len(x_t), generator=generator).split(32):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x_t[batch]), y_t[batch])
        loss.backward()
        optimizer.step()
net.eval()
with torch.no_grad():
    accuracy_torch = float((net(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean())
print(f"held-out accuracy after training on in torch: {accuracy_torch:.3f}")

# %%
# Back in cortex
# --------------
# The imported model classifies exactly as the torch model does.
back = from_torch(net)
_, accuracy_back = evaluate(back, x_test, y_test)
with torch.no_grad():
    logits_torch = net(torch.from_numpy(x_test)).numpy()
difference = np.abs(predict(back, x_test) - logits_torch).max() / np.abs(logits_torch).max()
print(f"held-out accuracy of the model imported back: {accuracy_back:.3f}")
print(f"torch vs imported outputs: max difference {difference:.1e} of the largest output")

# %%
# Orientation tuning of the first-layer units
# -------------------------------------------
# Each first-layer channel is a population of units with the same 3 x 3 px RF; we record
# from the unit at the centre of its map, ``(model, 0, channel)``, showing drifting
# gratings at its preferred spatial frequency.  The physiologist's numbers: preferred
# orientation and orientation selectivity index (OSI), before and after the PyTorch
# training.
field = VisualField(1.0, 1.0, PPD)
orientations = np.arange(0.0, 180.0, 30.0 if SMALL else 11.25)
n_channels = model[0].out_channels
curves = {}
for name, network in (("cortex", model), ("after torch", back)):
    curves[name] = [
        tuning_curve((network, 0, channel), "orientation", orientations, field=field)
        for channel in range(n_channels)
    ]
print("channel  preferred orientation (deg)    OSI")
print("         cortex   after torch         cortex  after torch")
for channel in range(n_channels):
    before, after = curves["cortex"][channel], curves["after torch"][channel]
    print(
        f"{channel:7d}  {before.preferred()[0]:6.1f}   {after.preferred()[0]:11.1f}"
        f"         {before.orientation_selectivity_index()[0]:6.2f}"
        f"  {after.orientation_selectivity_index()[0]:11.2f}"
    )
print(f"total time {time.perf_counter() - start:.1f} s")

# %%
# Filters and tuning curves
# -------------------------
# Top: the first-layer filters after pretraining in cortex and after the PyTorch
# epochs.  Bottom: the tuning curves of four channels, before (dashed) and after.
fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
plot_filter_grid(model[0].params["weight"], ax=axes[0], n_columns=4)
axes[0].set_title("first layer, pretrained in cortex")
plot_filter_grid(back[0].params["weight"], ax=axes[1], n_columns=4)
axes[1].set_title("after training on in PyTorch")
fig.tight_layout()

fig2, axes2 = plt.subplots(1, 4, figsize=(12, 3))
for channel, ax in enumerate(axes2):
    plot_tuning_curve(
        curves["cortex"][channel], ax=ax, color="0.6", linestyle="--", show_preferred=False
    )
    plot_tuning_curve(curves["after torch"][channel], ax=ax, color="C0")
    ax.set_title(f"channel {channel}")
axes2[0].legend(axes2[0].lines[:2], ["pretrained in cortex", "after PyTorch"], fontsize=8)
fig2.tight_layout()

if FIGURES:
    os.makedirs(FIGURES, exist_ok=True)
    for i, figure in enumerate((fig, fig2)):
        figure.savefig(os.path.join(FIGURES, f"plot_torch_roundtrip_{i}.png"), dpi=100)
