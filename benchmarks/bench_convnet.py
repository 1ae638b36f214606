"""ConvNet training throughput: cortex.nn against PyTorch (CPU) and a plain im2col numpy net.

The reference net (float32, 28x28 inputs, 10 classes)::

    conv5x5(1->16, pad 2) - ReLU - maxpool2 - conv5x5(16->32, pad 2) - ReLU - maxpool2
    - dense(1568->10)

is trained with SGD (momentum 0.9) and softmax cross-entropy at batch sizes 64 and
256.  One training step is forward + loss + backward + update.  The three
implementations are timed in the same run, interleaved (round robin: cortex, torch,
baseline, cortex, ...), each round a fixed wall time of steps; the table gives the
median samples/s over rounds and the ratios against PyTorch; the verdict uses the
median of the per-round cortex/torch ratios (adjacent runs, so a drift in the
machine's speed cancels) and prints their range.

* **cortex**: ``cortex.nn.train_step`` (what ``fit`` runs per batch: micro-batches of
  32 through the patch-matrix GEMM path of ``cortex.correlation``).
* **torch**: ``torch==2.13.0`` (CPU build, ``torch.set_num_threads(2)``); optional:
  skipped with a message when it is not installed (``pip install torch==2.13.0``).
* **baseline**: a textbook numpy implementation written here (row-major im2col with
  ``sliding_window_view``, ``np.add.at``-free col2im over kernel taps, max pooling by
  reshape), the "plain im2col" reference.

Target (issue 4): cortex >= 0.5x PyTorch's training throughput.

Run from the repository root::

    python benchmarks/bench_convnet.py            # ~2 minutes
    python benchmarks/bench_convnet.py --quick    # one short round (smoke test)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import cortex
from cortex.nn import (
    SGD,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    softmax_cross_entropy,
    train_step,
)


# -- cortex --------------------------------------------------------------------------
def cortex_step_fn(batch: int, rng: np.random.Generator):
    model = Sequential(
        [
            Conv2D(1, 16, 5, padding=2, seed=0),
            ReLU(),
            MaxPool2D(2),
            Conv2D(16, 32, 5, padding=2, seed=1),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(1568, 10, seed=2),
        ]
    )
    opt = SGD(0.01, momentum=0.9)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)

    def step() -> float:
        return train_step(model, x, y, opt)[0]  # what fit() does per batch

    return step


# -- torch ---------------------------------------------------------------------------
def torch_step_fn(batch: int, rng: np.random.Generator):
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(1568, 10),
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.from_numpy(rng.random((batch, 1, 28, 28), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, batch))

    def step() -> float:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# -- plain im2col numpy baseline -----------------------------------------------------
def _im2col(x, k, pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (k, k), axis=(2, 3))  # (N, C, H, W, k, k)
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * k * k)


def _col2im(cols, shape, k, pad):
    n, c, h, w = shape
    patches = cols.reshape(n, h, w, c, k, k)
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad), cols.dtype)
    for a in range(k):
        for b in range(k):
            out[:, :, a : a + h, b : b + w] += patches[..., a, b].transpose(0, 3, 1, 2)
    return out[:, :, pad : pad + h, pad : pad + w]


def baseline_step_fn(batch: int, rng: np.random.Generator):
    def init(shape, fan_in):
        b = 1 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    p = {
        "w1": init((16, 25), 25), "b1": init(16, 25),
        "w2": init((32, 400), 400), "b2": init(32, 400),
        "w3": init((10, 1568), 1568), "b3": init(10, 1568),
    }  # fmt: skip
    vel = {k: np.zeros_like(v) for k, v in p.items()}
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)

    def conv(x, w, b):
        n, _, h, wd = x.shape
        cols = _im2col(x, 5, 2)
        out = (cols @ w.T + b).reshape(n, h, wd, -1).transpose(0, 3, 1, 2)
        return out, cols

    def pool(x):
        n, c, h, w = x.shape
        r = x.reshape(n, c, h // 2, 2, w // 2, 2)
        out = r.max(axis=(3, 5))
        mask = r == out[:, :, :, None, :, None]
        return out, mask

    def unpool(g, mask):
        n, c, h, _, w, _ = mask.shape
        return (mask * g[:, :, :, None, :, None]).reshape(n, c, 2 * h, 2 * w)

    def step() -> float:
        a1, c1 = conv(x, p["w1"], p["b1"])
        r1 = np.maximum(a1, 0)
        p1, m1 = pool(r1)
        a2, c2 = conv(p1, p["w2"], p["b2"])
        r2 = np.maximum(a2, 0)
        p2, m2 = pool(r2)
        f = p2.reshape(batch, -1)
        logits = f @ p["w3"].T + p["b3"]
        loss, g = softmax_cross_entropy(logits, y)
        grads = {"w3": g.T @ f, "b3": g.sum(0)}
        g = (g @ p["w3"]).reshape(p2.shape)
        g = unpool(g, m2) * (a2 > 0)
        g2 = g.transpose(0, 2, 3, 1).reshape(-1, 32)
        grads["w2"], grads["b2"] = g2.T @ c2, g2.sum(0)
        g = _col2im(g2 @ p["w2"], p1.shape, 5, 2)
        g = unpool(g, m1) * (a1 > 0)
        g1 = g.transpose(0, 2, 3, 1).reshape(-1, 16)
        grads["w1"], grads["b1"] = g1.T @ c1, g1.sum(0)
        for k in p:
            vel[k] = 0.9 * vel[k] + grads[k]
            p[k] -= 0.01 * vel[k]
        return loss

    return step


def measure(step, seconds: float) -> float:
    """Samples-per-step-agnostic: steps per second over about ``seconds``."""
    n = 0
    start = time.perf_counter()
    while True:
        step()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per cell per round")
    parser.add_argument("--quick", action="store_true", help="1 round of 0.5 s (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 0.5
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    print("# cortex.nn training throughput vs PyTorch CPU vs a plain im2col numpy net")
    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, cortex "
        f"{cortex.__version__}, torch {torch_version or 'not installed'}"
    )
    print(
        f"# {platform.machine()} {platform.system()}, cpu_count {os.cpu_count()}, load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    print(f"# float32, 28x28, SGD momentum 0.9; median of {args.rounds} interleaved round(s)")
    if torch_version is None:
        print("# torch skipped: not installed (pip install torch==2.13.0)")
    rng = np.random.default_rng(0)
    rows = []
    for batch in (64, 256):
        steps = {"cortex": cortex_step_fn(batch, rng), "baseline": baseline_step_fn(batch, rng)}
        if torch_version is not None:
            steps["torch"] = torch_step_fn(batch, rng)
        losses = {name: step() for name, step in steps.items()}  # warm-up
        assert all(np.isfinite(v) for v in losses.values())
        rates: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(args.rounds):
            for name, step in steps.items():
                rates[name].append(batch * measure(step, args.seconds))
        # cortex/torch within each round (adjacent runs share the machine's state):
        # steadier than a ratio of medians on a VM whose speed drifts
        per_round = (
            [c / t for c, t in zip(rates["cortex"], rates["torch"], strict=True)]
            if "torch" in rates
            else []
        )
        rows.append((batch, {k: statistics.median(v) for k, v in rates.items()}, per_round))
    print()
    print(
        f"{'batch':>5}  {'implementation':<10} {'samples/s':>10}  {'vs torch':>9}  "
        f"{'vs baseline':>11}"
    )
    verdicts = []
    for batch, med, per_round in rows:
        for name in ("cortex", "torch", "baseline"):
            if name not in med:
                continue
            vs_torch = f"{med[name] / med['torch']:.2f}x" if "torch" in med else "-"
            vs_base = f"{med[name] / med['baseline']:.2f}x"
            print(f"{batch:>5}  {name:<10} {med[name]:>10.0f}  {vs_torch:>9}  {vs_base:>11}")
        if per_round:
            ratio = statistics.median(per_round)
            verdicts.append(
                f"target batch {batch}: cortex >= 0.5x torch: {ratio:.2f}x  "
                + ("PASS" if ratio >= 0.5 else "MISS")
                + f"  (median of per-round ratios; rounds {min(per_round):.2f}x-"
                f"{max(per_round):.2f}x)"
            )
    print()
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
