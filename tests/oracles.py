"""Independent oracles shared by several test modules."""

import numpy as np


def central_difference(layers, x, site, eps=1e-6):
    """d unit / d x per sample by central differences, running only each layer's forward."""

    def unit(batch):
        for layer in layers:
            batch = layer.forward(batch)
        return batch[(slice(None), *site)]

    size = x[0].size
    step = eps * np.eye(size).reshape(size, *x.shape[1:])
    grad = np.empty(x.shape)
    for n in range(len(x)):
        diff = (unit(x[n] + step) - unit(x[n] - step)) / (2 * eps)
        grad[n] = diff.reshape(x.shape[1:])
    return grad


def naive_sites(x, weight, rows, cols, padding):
    """``out[n, o, i] = sum_{c, a, b} weight[o, c, a, b] * xp[n, c, rows[i] + a, cols[i] + b]``.

    ``xp`` is ``x`` ``(N, C, H, W)`` zero-padded by ``padding`` ``(rows, columns)``; the
    sites ``rows``, ``cols`` are window corners in it.  A loop over the sites.
    """
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    xp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]))
    xp[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w] = x
    out = np.zeros((n, o, len(rows)))
    for i, (r, q) in enumerate(zip(rows, cols, strict=True)):
        patch = xp[:, :, r : r + kh, q : q + kw]
        out[:, :, i] = np.einsum("ncab,ocab->no", patch, weight)
    return out
