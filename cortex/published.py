"""Simulated against published: one report of what cortex reproduces, and how closely.

:func:`validate` (also ``cortex.validate``) runs small experiments whose
answers are published (or exact) and returns one :class:`Check` per number,
with its source, the published value, the simulated one, the tolerance and the
verdict; :func:`write_report` writes them as JSON, a Markdown table and a
figure.  ``cortex validate --out DIR`` does both from the command line.

The checks:

* **pRF size against eccentricity** of V1, V2, V3 and hV4 (Wandell & Winawer
  2015): a population with the published size law
  (:func:`cortex.presets.population`), voxels at several eccentricities, bars
  sweeping in 8 directions, a Gaussian pRF fitted to each voxel
  (:mod:`cortex.analysis.prf`) and a line fitted to the sizes (the voxels'
  position scatter removed): slope within 10%, intercept within 0.05 deg.
* **Coverage factors** of mosaics built for a target (:meth:`cortex.Mosaic.with_coverage`):
  midget-like 1 and parasol-like 3 (Dacey 1993), measured as the mean number
  of RF contours over the pixels away from the border: within 2%.
* **Regularity index** (Wassle & Riemann 1978) of a seeded Poisson process
  (1.91, within 0.15) and of a hexagonal lattice (infinite: at least 100).
* **RF arithmetic** of AlexNet's layers (Krizhevsky et al. 2012; as tabulated
  by Araujo, Norris & Sim 2019, Distill): pool5 units see 195 px, 32 px apart.
* **Effective RF** of ``n`` stacked ``k x k`` box filters (Luo et al. 2016): its
  variance per axis is ``n (k**2 - 1) / 12`` px^2, exactly.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ._io import atomic_write
from ._validation import check_bool, check_integer

__all__ = ["Check", "validate", "write_report"]


@dataclass(frozen=True)
class Check:
    """One simulated number against its published value.

    Attributes
    ----------
    name : str
        What is measured.
    source : str
        Where the published value comes from.
    published : float
        The published (or exact) value; ``inf`` for a perfect lattice's
        regularity.
    simulated : float
        What cortex measured.
    tolerance : float
        Allowed difference: relative if ``relative``, else absolute; for a
        published ``inf``, the smallest simulated value that passes.
    relative : bool
        Whether ``tolerance`` is relative to ``published``.
    unit : str
        Unit of the values.
    """

    name: str
    source: str
    published: float
    simulated: float
    tolerance: float
    relative: bool
    unit: str = ""

    @property
    def passed(self) -> bool:
        """Whether ``simulated`` is within ``tolerance`` of ``published``."""
        if not math.isfinite(self.simulated) and not math.isinf(self.published):
            return False
        if math.isinf(self.published):
            return self.simulated >= self.tolerance
        allowed = self.tolerance * abs(self.published) if self.relative else self.tolerance
        return abs(self.simulated - self.published) <= allowed * (1 + 1e-12)

    @property
    def verdict(self) -> str:
        """``"pass"`` or ``"FAIL"``."""
        return "pass" if self.passed else "FAIL"

    def tolerance_text(self) -> str:
        """The tolerance as text, e.g. ``"±10%"``, ``"±0.05 deg"`` or ``">= 100"``."""
        if math.isinf(self.published):
            return f">= {self.tolerance:g}"
        if self.relative:
            return f"±{100 * self.tolerance:g}%"
        return f"±{self.tolerance:g} {self.unit}".rstrip()


# -- the checks ---------------------------------------------------------------------------
def _prf_checks(small: bool, seed: int) -> tuple[list[Check], dict]:
    from . import presets
    from .analysis.prf import prf_experiment, prf_size_law
    from .visual_field import VisualField

    rows, curves = [], {}
    rng = np.random.default_rng(seed)
    for area in presets.AREAS:
        slope, intercept = presets.PRF_SIZE[area]
        e_max = 3.0 if small else 5.0
        sigma_max = slope * e_max + intercept
        side = 2 * (e_max + 3 * sigma_max) + 0.5
        # about 6 pixels per s.d. at the smallest eccentricity measured
        e_min = 1.0
        ppd = min(30.0, max(6.0, 6.0 / (slope * e_min + intercept)))
        field = VisualField(side, side, pixels_per_degree=ppd)
        with warnings.catch_warnings():  # the smallest RFs leave gaps in the lattice
            warnings.simplefilter("ignore", UserWarning)
            population = presets.population(
                area, field, max_eccentricity=e_max + 0.6 * sigma_max
            )
        ecc = np.linspace(e_min, e_max, 4 if small else 6)
        angles = rng.uniform(0, 2 * math.pi, len(ecc))
        voxels = np.column_stack([ecc * np.cos(angles), ecc * np.sin(angles)])
        sizes = presets.prf_size(area, ecc)
        # bars a whole number of pixels wide (a fractional width flickers by a pixel from
        # frame to frame), moving by their width
        width = math.ceil((0.5 * sizes.min() + 0.1) * ppd) / ppd
        fits = prf_experiment(population, voxels, 0.5 * sizes, bar_width=width, step=width)
        fitted_slope, fitted_intercept = prf_size_law(fits)
        curves[area] = {
            "eccentricity": [f.eccentricity for f in fits],
            "prf_size": [f.sigma for f in fits],
            "neuron_size": [f.neuron_sigma for f in fits],
            "r2": [f.r2 for f in fits],
        }
        source = "Wandell & Winawer 2015, Fig. 3"
        rows.append(
            Check(f"{area} pRF size slope", source, slope, fitted_slope, 0.10, True, "deg/deg")
        )
        rows.append(
            Check(
                f"{area} pRF size intercept",
                source,
                intercept,
                fitted_intercept,
                0.05,
                False,
                "deg",
            )
        )
    return rows, curves


def _coverage_checks(small: bool, seed: int) -> list[Check]:
    from . import presets
    from .lattices import poisson_disk
    from .receptive_fields import Gaussian
    from .visual_field import VisualField

    field = VisualField(4.0 if small else 8.0, 4.0 if small else 8.0, pixels_per_degree=32)
    rf = Gaussian(0.05)
    # a retina-like irregular mosaic: no two cells closer than 0.15 deg (Bridson's sampling)
    base = poisson_disk(field, 0.15, seed=seed)
    rows = []
    margin = int(field.pixels_per_degree)
    for kind, target in presets.COVERAGE.items():
        mosaic = base.with_coverage(rf, target)
        counts = mosaic.coverage(rf)
        measured = float(counts[margin:-margin, margin:-margin].mean())
        rows.append(
            Check(
                f"coverage factor, {kind}-like mosaic (Poisson-disk centres)",
                "Dacey 1993",
                target,
                measured,
                0.02,
                True,
            )
        )
    return rows


def _regularity_checks(small: bool, seed: int) -> list[Check]:
    from .mosaic import Mosaic
    from .mosaic_stats import POISSON_REGULARITY_INDEX, regularity_index
    from .visual_field import VisualField

    field = VisualField(20.0, 20.0, pixels_per_degree=20)
    rng = np.random.default_rng(seed)
    hw, hh = field.limits
    n = 1500 if small else 6000
    poisson = Mosaic(field, rng.uniform([-hw, -hh], [hw, hh], (n, 2)))
    lattice = Mosaic.from_lattice(field, 0.5, "hexagonal")
    source = "Wassle & Riemann 1978"
    return [
        Check(
            "regularity index, Poisson process",
            source,
            POISSON_REGULARITY_INDEX,
            regularity_index(poisson),
            0.15,
            False,
        ),
        Check(
            "regularity index, hexagonal lattice",
            source,
            math.inf,
            regularity_index(lattice),
            100.0,
            False,
        ),
    ]


def _alexnet_checks() -> list[Check]:
    from .nn import Conv2D, MaxPool2D, ReLU, Sequential, receptive_field

    # AlexNet's geometry (Krizhevsky et al. 2012), one channel per layer: only the
    # kernels, strides and paddings matter to RF arithmetic
    layers = [
        Conv2D(1, 1, 11, stride=4, padding=2),
        ReLU(),
        MaxPool2D(3, stride=2),
        Conv2D(1, 1, 5, padding=2),
        ReLU(),
        MaxPool2D(3, stride=2),
        Conv2D(1, 1, 3, padding=1),
        ReLU(),
        Conv2D(1, 1, 3, padding=1),
        ReLU(),
        Conv2D(1, 1, 3, padding=1),
        ReLU(),
        MaxPool2D(3, stride=2),
    ]
    pool5 = receptive_field(Sequential(layers), 227)[-1]
    source = "Araujo, Norris & Sim 2019 (Distill), AlexNet pool5"
    return [
        Check("AlexNet pool5 RF size", source, 195, pool5.size[0], 0.0, False, "px"),
        Check("AlexNet pool5 jump", source, 32, pool5.jump[0], 0.0, False, "px"),
    ]


def _erf_checks() -> list[Check]:
    from .nn import Conv2D, Sequential, effective_receptive_field

    rows = []
    for n, k in ((4, 3), (3, 5)):
        layers = []
        for _ in range(n):
            conv = Conv2D(1, 1, k, padding=0, bias=False, dtype="float64")
            conv.params["weight"][...] = 1.0
            layers.append(conv)
        size = n * (k - 1) + 9
        erf = effective_receptive_field(Sequential(layers), (1, size, size), n_samples=1)
        weights = erf / erf.sum()
        offsets = np.arange(size) - (size - 1) / 2
        variance = float(np.sum(weights.sum(axis=0) * offsets**2))
        rows.append(
            Check(
                f"effective RF variance of {n} stacked {k}x{k} layers",
                "Luo et al. 2016: n (k^2 - 1) / 12",
                n * (k * k - 1) / 12,
                variance,
                1e-9,
                True,
                "px^2",
            )
        )
    return rows


def validate(*, small: bool = False, seed: int = 0) -> tuple[list[Check], dict]:
    """Run every check; return the rows and the data behind the pRF figure.

    Parameters
    ----------
    small : bool, optional
        Smaller fields and fewer voxels: about 10 s instead of about a minute
        on a 2-core machine (the test suite runs this).
    seed : int, optional
        Seed of the random mosaics and voxel positions.

    Returns
    -------
    rows : list of Check
        One per number, in the order of the module docstring.
    curves : dict
        Per area, the voxels' eccentricities, pRF sizes (with and without the
        scatter), R^2.

    Raises
    ------
    TypeError
        If ``small`` is not a bool or ``seed`` not an integer.
    """
    small = check_bool(small, "small")
    seed = check_integer(seed, "seed", minimum=0)
    prf_rows, curves = _prf_checks(small, seed)
    rows = (
        prf_rows
        + _coverage_checks(small, seed)
        + _regularity_checks(small, seed)
        + _alexnet_checks()
        + _erf_checks()
    )
    return rows, curves


def markdown(rows: list[Check]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| check | source | published | simulated | tolerance | verdict |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        published = "inf" if math.isinf(row.published) else f"{row.published:.4g}"
        simulated = "inf" if math.isinf(row.simulated) else f"{row.simulated:.4g}"
        lines.append(
            f"| {row.name} | {row.source} | {published} {row.unit} | {simulated} {row.unit} | "
            f"{row.tolerance_text()} | {row.verdict} |"
        )
    return "\n".join(lines) + "\n"


def write_report(rows: list[Check], curves: dict, out: str | Path) -> list[Path]:
    """Write ``validate.json``, ``validate.md`` and ``validate_prf.png`` into ``out``.

    Parameters
    ----------
    rows, curves
        From :func:`validate`.
    out : str or path-like
        An existing directory.

    Returns
    -------
    list of pathlib.Path
        The files written (atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import presets

    out = Path(out)
    def number(value: float) -> float | None:  # JSON has no inf or nan
        return float(value) if math.isfinite(value) else None

    payload = {
        "checks": [
            {
                **asdict(row),
                "published": number(row.published),
                "simulated": number(row.simulated),
                "passed": row.passed,
                "tolerance_text": row.tolerance_text(),
            }
            for row in rows
        ],
        "prf": {
            area: {key: [number(v) for v in values] for key, values in data.items()}
            for area, data in curves.items()
        },
        "passed": all(row.passed for row in rows),
    }
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    paths = [out / "validate.json", out / "validate.md", out / "validate_prf.png"]
    atomic_write(paths[0], lambda handle: handle.write(text.encode("utf-8")))
    atomic_write(paths[1], lambda handle: handle.write(markdown(rows).encode("utf-8")))
    fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
    e = np.linspace(0, max(max(c["eccentricity"]) for c in curves.values()) * 1.1, 50)
    for (area, data), colour in zip(curves.items(), ("C0", "C1", "C2", "C3"), strict=False):
        ax.plot(e, presets.prf_size(area, e), color=colour, lw=1, label=f"{area} published")
        ax.plot(data["eccentricity"], data["neuron_size"], "o", color=colour, ms=4)
    ax.set_xlabel("eccentricity (deg)")
    ax.set_ylabel("pRF size, sigma (deg)")
    ax.set_title(
        "pRF size: simulated voxels (dots, scatter removed)\nvs Wandell & Winawer 2015 (lines)"
    )
    ax.legend(fontsize=8)
    atomic_write(paths[2], lambda handle: fig.savefig(handle, format="png", dpi=110))
    plt.close(fig)
    return paths
