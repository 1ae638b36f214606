"""
LGN responses to a Zarr image set on a dask cluster
===================================================

Image sets and movies are often larger than memory.  :mod:`cortex.scale`
keeps them on disk in `Zarr <https://zarr.dev>`_ stores and computes
population responses chunk by chunk with `dask <https://dask.org>`_, on the
threaded scheduler or on a ``dask.distributed`` cluster: each task runs the
ordinary in-memory :func:`cortex.responses` on one chunk of images, so the
result is the same as in memory.

Here an LGN-like population (ON- and OFF-centre difference-of-Gaussians RFs
on a hexagonal lattice that tiles the field) looks at a seeded set of
natural-image patches written straight into a Zarr store.  Its responses are
computed on a ``LocalCluster`` and written to a second store, and a few of
them are drawn as response maps.  This needs the ``dask`` extra:
``pip install 'cortex[dask]'``.
"""

import math
import os
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster

import cortex
from cortex import scale
from cortex.plotting import plot_image, plot_response_map

# A small field and set when the example runs as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_lgn_zarr_cluster_{n}.png"), dpi=100)


# %%
# The population
# --------------
# ON and OFF centre-surround RFs (centre sigma 0.15 deg, surround three times
# wider) at every site of one hexagonal lattice, spaced so that the RFs'
# half-maximum contours tile the field (see the ON/OFF mosaic example).

if SMALL:
    field = cortex.VisualField(width=4.0, height=3.0, pixels_per_degree=16)
    n_images, chunk_images = 256, 64
else:
    field = cortex.VisualField(width=8.0, height=6.0, pixels_per_degree=16)
    n_images, chunk_images = 8192, 256

rf_on = cortex.DifferenceOfGaussians(sigma_center=0.15, sigma_surround=0.45, polarity="on")
rf_off = cortex.DifferenceOfGaussians(sigma_center=0.15, sigma_surround=0.45, polarity="off")
spacing = 0.95 * math.sqrt(3.0) * rf_on.contour("half-max")[0]
population = cortex.Population([rf_on, rf_off], cortex.Mosaic.from_lattice(field, spacing))
print(
    f"{population.n_neurons} neurons ({population.n_sites} ON and {population.n_sites} OFF) "
    f"on a {field.shape[1]} x {field.shape[0]} px field"
)

# %%
# A natural-image-patch set in Zarr
# ---------------------------------
# :func:`cortex.scale.write_natural_patches` cuts random patches of the
# field's size out of the photographs shipped with scikit-image, converts each
# to contrast (0 = its mean luminance) and writes them chunk by chunk: the set
# never has to fit in memory.  Image ``i`` is drawn from its own random
# stream, derived from the seed and ``i``, so the same seed gives the same set
# whatever the chunking.  The store records the visual field, and
# :func:`cortex.scale.open_images` returns it with a lazy dask array.
#
# A ``LocalCluster`` runs the tasks.  Its workers are threads of this process
# here (``processes=False``), so that the script also runs as is; with
# worker processes (the default), put the cluster in an
# ``if __name__ == "__main__":`` block, as ``multiprocessing`` requires.

workdir = tempfile.TemporaryDirectory(prefix="cortex-example-")
images_path = os.path.join(workdir.name, "patches.zarr")
responses_path = os.path.join(workdir.name, "responses.zarr")

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
client = Client(cluster)

start = time.perf_counter()
images, stored_field = scale.write_natural_patches(
    images_path, field, n_images, chunk_images=chunk_images, seed=2024, dtype=np.float32
)
seconds = time.perf_counter() - start
print(f"wrote {n_images} patches in {seconds:.2f} s ({n_images / seconds:,.0f} images/s)")
print(f"stored field equals ours: {stored_field == field}; {images}")

# %%
# Responses on the cluster
# ------------------------
# :func:`cortex.responses` given a dask array returns a lazy dask array with
# one row per image (the same as :func:`cortex.scale.responses`).  The
# population enters the task graph once, however many chunks there are.
# :func:`cortex.scale.write_responses` computes the chunks on the cluster and
# writes each to the responses store as it is done, with the population's
# description in the store's attributes.

lazy = cortex.responses(population, images, nonlinearity="rectify")
start = time.perf_counter()
stored = scale.write_responses(lazy, responses_path, population=population)
seconds = time.perf_counter() - start
print(
    f"{n_images} images -> {population.n_neurons} responses each in {seconds:.2f} s: "
    f"{n_images / seconds:,.0f} images/s on {len(client.scheduler_info()['workers'])} workers"
)

# The first chunk, again in memory: the same numbers.
first = images[:chunk_images].compute()
in_memory = cortex.responses(population, first, nonlinearity="rectify")
difference = np.max(np.abs(stored[:chunk_images].compute() - in_memory))
print(f"largest difference from the in-memory responses: {difference:.1e}")

# %%
# A few response maps
# -------------------
# Each row is one patch: the image (contrast), then the rectified responses of
# the ON cells and of the OFF cells at their RF centres.  ON cells signal the
# regions lighter than their surround, OFF cells the darker ones.

picks = [0, 1, 2]
shown_images = images[picks].compute()
shown = stored[picks].compute()

fig, axes = plt.subplots(len(picks), 3, figsize=(12, 3.2 * len(picks)), layout="constrained")
for row, (image, r) in enumerate(zip(shown_images, shown, strict=True)):
    plot_image(image, field, ax=axes[row, 0], colorbar=True)
    axes[row, 0].set_title(f"patch {picks[row]} (contrast)")
    plot_response_map(population, r, neuron_type=0, ax=axes[row, 1], cmap="Reds")
    axes[row, 1].set_title("ON responses")
    plot_response_map(population, r, neuron_type=1, ax=axes[row, 2], cmap="Blues")
    axes[row, 2].set_title("OFF responses")
save(fig, 1)

# %%
# Closing
# -------
# The client and the cluster are closed, and the stores removed.

client.close()
cluster.close()
workdir.cleanup()
