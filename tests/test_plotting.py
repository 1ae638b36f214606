"""Tests of cortex.plotting: returned Axes, one artist per population, data, errors."""

import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.collections import EllipseCollection, PathCollection  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from strategies import refused_cheaply  # noqa: E402

from cortex import (  # noqa: E402
    ComplexCell,
    DifferenceOfGaussians,
    Gabor,
    Gaussian,
    Mosaic,
    Population,
    VisualField,
    plotting,
    responses,
)
from cortex.plotting import (  # noqa: E402
    plot_coverage,
    plot_image,
    plot_kernel,
    plot_mosaic,
    plot_response_map,
)

HALF_MAX = math.sqrt(2.0 * math.log(2.0))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def field():
    return VisualField(3.0, 2.6, pixels_per_degree=10)


@pytest.fixture
def mosaic(field):
    return Mosaic.from_lattice(field, spacing=0.3, lattice="hexagonal")


@pytest.fixture
def dog():
    return DifferenceOfGaussians(0.2, 0.4)


@pytest.fixture
def population(mosaic, dog):
    return Population([dog, DifferenceOfGaussians(0.2, 0.4, polarity="off")], mosaic)


def _new_ax():
    return plt.figure().add_subplot()


def test_all_lists_the_public_functions():
    assert sorted(plotting.__all__) == sorted(
        [
            "plot_kernel",
            "plot_image",
            "plot_mosaic",
            "plot_coverage",
            "plot_response_map",
            "plot_tuning_curve",
            "plot_rf_map",
            "plot_mapping_convergence",
            "plot_filter_grid",
            "plot_layer_tiling",
            "plot_nn_histogram",
            "plot_density_recovery_profile",
            "plot_voronoi",
            "plot_raster",
            "plot_psth",
            "plot_xt",
            "plot_direction_tuning",
        ]
    )
    public = {name for name in dir(plotting) if name.startswith("plot_")}
    assert public == set(plotting.__all__)


@pytest.mark.parametrize("given", [True, False])
def test_every_function_returns_the_axes(given, field, mosaic, dog, population):
    calls = [
        lambda ax: plot_kernel(dog, 10, ax=ax),
        lambda ax: plot_image(np.zeros(field.shape), field, ax=ax),
        lambda ax: plot_mosaic(mosaic, dog, ax=ax),
        lambda ax: plot_coverage(mosaic, dog, ax=ax),
        lambda ax: plot_response_map(population, np.arange(population.n_neurons), ax=ax),
    ]
    for call in calls:
        plt.figure()
        ax = _new_ax() if given else None
        expected = ax if given else plt.gca()
        out = call(ax)
        assert out is expected
        assert out.get_xlabel() == "x (deg)"
        assert out.get_ylabel() == "y (deg)"
        assert out.get_aspect() == 1.0
        plt.close("all")


def test_no_function_calls_show(monkeypatch, field, mosaic, dog, population):
    def fail(*args, **kwargs):
        raise AssertionError("plt.show was called")

    monkeypatch.setattr(plt, "show", fail)
    monkeypatch.setattr(matplotlib.figure.Figure, "show", fail)
    plot_kernel(ComplexCell(2.0), 10, ax=_new_ax(), part="abs")
    plot_image(np.ones(field.shape), field, ax=_new_ax(), colorbar=True)
    plot_mosaic(population, ax=_new_ax(), show_centers=True)
    plot_coverage(population, ax=_new_ax())
    plot_response_map(population, np.ones(population.n_neurons), ax=_new_ax(), neuron_type=1)


# -- plot_kernel ---------------------------------------------------------------
def test_kernel_image_extent_and_colour_limits(dog):
    ppd = 10
    ax = plot_kernel(dog, ppd, ax=_new_ax(), n_sigma=2.0)
    (image,) = ax.get_images()
    assert isinstance(image, AxesImage)
    kernel = dog.kernel(ppd, n_sigma=2.0)
    k = kernel.shape[0]
    half = (k // 2 + 0.5) / ppd
    np.testing.assert_allclose(image.get_extent(), [-half, half, -half, half])
    np.testing.assert_allclose(image.get_array(), kernel)
    vmax = np.abs(kernel).max()
    np.testing.assert_allclose(image.get_clim(), (-vmax, vmax))
    colorbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert len(colorbar_axes) == 1
    assert colorbar_axes[0].get_ylabel() == "weight (1/px)"


def test_kernel_from_array_needs_ppd_for_extent():
    kernel = np.arange(15.0).reshape(3, 5) - 7
    ax = plot_kernel(kernel, 5, ax=_new_ax(), colorbar=False)
    (image,) = ax.get_images()
    np.testing.assert_allclose(image.get_extent(), [-0.5, 0.5, -0.3, 0.3])
    assert ax.figure.axes == [ax]


@pytest.mark.parametrize("part", ["real", "imag", "abs"])
def test_kernel_parts_of_a_complex_cell(part):
    rf = ComplexCell(2.0, orientation=30.0)
    kernel = rf.kernel(12)
    expected = {"real": kernel.real, "imag": kernel.imag, "abs": np.abs(kernel)}[part]
    ax = plot_kernel(rf, 12, ax=_new_ax(), part=part)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), expected)


def test_kernel_errors(dog):
    ax = _new_ax()
    with pytest.raises(ValueError, match=r"`part` must be one of \('real', 'imag', 'abs'\)"):
        plot_kernel(dog, 10, ax=ax, part="phase")
    with pytest.raises(TypeError, match="`part` must be a string"):
        plot_kernel(dog, 10, ax=ax, part=1)
    with pytest.raises(TypeError, match="`pixels_per_degree` is required"):
        plot_kernel(dog, ax=ax)
    with pytest.raises(TypeError, match="`pixels_per_degree` is required"):
        plot_kernel(np.ones((3, 3)), ax=ax)
    with pytest.raises(ValueError, match="`pixels_per_degree` must be > 0"):
        plot_kernel(dog, -1.0, ax=ax)
    with pytest.raises(ValueError, match=r"`rf` must be 2-D, got shape \(3,\)"):
        plot_kernel(np.ones(3), 10, ax=ax)
    with pytest.raises(TypeError, match="`rf` must hold numbers"):
        plot_kernel("gabor", 10, ax=ax)
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes"):
        plot_kernel(dog, 10, ax="left")


# -- plot_image ----------------------------------------------------------------
def test_image_in_degree_coordinates(field, rng):
    image = rng.standard_normal(field.shape)
    ax = plot_image(image, field, ax=_new_ax(), cmap="magma")
    (artist,) = ax.get_images()
    np.testing.assert_allclose(artist.get_extent(), field.extent)
    np.testing.assert_array_equal(artist.get_array(), image)
    assert artist.origin == "upper"
    assert artist.get_cmap().name == "magma"


def test_image_errors(field):
    ax = _new_ax()
    with pytest.raises(ValueError, match=r"`image` must have the field's shape \(26, 30\)"):
        plot_image(np.zeros((30, 20)), field, ax=ax)
    with pytest.raises(ValueError, match="`image` must be 2-D"):
        plot_image(np.zeros((2, 26, 30)), field, ax=ax)
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        plot_image(np.zeros(field.shape), (3.0, 2.0), ax=ax)


# -- plot_mosaic ---------------------------------------------------------------
def _ellipse_collections(ax):
    return [c for c in ax.collections if isinstance(c, EllipseCollection)]


def test_mosaic_is_one_ellipse_collection_with_the_contours(field):
    rf = Gabor(2.0, orientation=30.0, sigma_x=0.2, sigma_y=0.3)
    mosaic = Mosaic.from_lattice(field, 0.3).with_eccentricity_scaling(
        0.2, 0.3, reference_size=rf.size, n_levels=3
    )
    assert np.unique(mosaic.scales).size == 3
    ax = plot_mosaic(mosaic, rf, ax=_new_ax(), level="sigma", edgecolor="k")
    (ellipses,) = _ellipse_collections(ax)
    assert len(ax.collections) == 1
    # Independent expectation: the 1-sigma contour has semi-axes sigma_x, sigma_y.
    np.testing.assert_allclose(ellipses.get_widths(), 2 * 0.2 * mosaic.scales)
    np.testing.assert_allclose(ellipses.get_heights(), 2 * 0.3 * mosaic.scales)
    np.testing.assert_allclose(ellipses.get_angles(), 30.0)
    np.testing.assert_allclose(ellipses.get_offsets(), mosaic.centers)
    assert len(ellipses.get_widths()) == mosaic.n_neurons
    left, right, bottom, top = field.extent
    assert ax.get_xlim() == (left, right)
    assert ax.get_ylim() == (bottom, top)


def test_mosaic_half_max_contours_of_a_population(population, dog):
    ax = plot_mosaic(population, ax=_new_ax(), show_centers=True)
    (ellipses,) = _ellipse_collections(ax)
    radius = HALF_MAX * dog.sigma_center
    np.testing.assert_allclose(ellipses.get_widths(), 2 * radius)
    np.testing.assert_allclose(ellipses.get_heights(), 2 * radius)
    assert len(ellipses.get_widths()) == population.n_sites
    # The centre dots: one scatter, not one artist per neuron.
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 1
    assert len(dots[0].get_offsets()) == population.n_sites
    assert len(ax.patches) == 1  # the field's border


def test_mosaic_errors(mosaic, dog):
    ax = _new_ax()
    with pytest.raises(TypeError, match="`rf` is required when `mosaic` is a Mosaic"):
        plot_mosaic(mosaic, ax=ax)
    with pytest.raises(TypeError, match="`rf` must be a ReceptiveField, got float"):
        plot_mosaic(mosaic, 0.2, ax=ax)
    with pytest.raises(TypeError, match="`mosaic` must be a Mosaic or a Population, got ndarray"):
        plot_mosaic(mosaic.centers, dog, ax=ax)
    with pytest.raises(ValueError, match="`level` must be one of"):
        plot_mosaic(mosaic, dog, ax=ax, level="full")


# -- plot_coverage -------------------------------------------------------------
def test_coverage_map_data_title_and_discrete_colorbar(mosaic, dog):
    ax = plot_coverage(mosaic, dog, ax=_new_ax())
    (image,) = ax.get_images()
    counts = mosaic.coverage(dog, "half-max")
    np.testing.assert_array_equal(image.get_array(), counts)
    np.testing.assert_allclose(image.get_extent(), mosaic.field.extent)
    assert f"{mosaic.coverage_factor(dog, 'half-max'):.2f}" in ax.get_title()
    (bar_ax,) = [a for a in ax.figure.axes if a is not ax]
    assert bar_ax.get_ylabel() == "RFs covering each point"
    ticks = bar_ax.get_yticks()
    np.testing.assert_array_equal(ticks, np.arange(counts.min(), counts.max() + 1))
    # One colour per count.
    assert image.get_cmap().N == counts.max() - counts.min() + 1


def test_coverage_of_a_population_and_level(population, dog):
    ax = plot_coverage(population, ax=_new_ax(), level="sigma", colorbar=False)
    expected = population.mosaic.coverage(dog, "sigma")
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), expected)
    assert ax.figure.axes == [ax]


def test_coverage_errors(mosaic):
    with pytest.raises(TypeError, match="`rf` is required"):
        plot_coverage(mosaic, ax=_new_ax())
    with pytest.raises(TypeError, match="`mosaic` must be a Mosaic or a Population"):
        plot_coverage("hexagonal", Gaussian(0.2), ax=_new_ax())


# -- plot_response_map ---------------------------------------------------------
@pytest.mark.parametrize("neuron_type", [0, 1])
def test_response_map_is_one_scatter_coloured_by_response(population, neuron_type, rng):
    values = rng.standard_normal(population.n_neurons)
    ax = plot_response_map(population, values, ax=_new_ax(), neuron_type=neuron_type)
    assert len(ax.collections) == 1
    (dots,) = ax.collections
    assert isinstance(dots, PathCollection)
    n = population.n_sites
    np.testing.assert_allclose(dots.get_offsets(), population.mosaic.centers)
    np.testing.assert_allclose(dots.get_array(), values[neuron_type * n : (neuron_type + 1) * n])
    # Both signs: symmetric colour limits.
    vmax = np.abs(values[neuron_type * n : (neuron_type + 1) * n]).max()
    np.testing.assert_allclose(dots.get_clim(), (-vmax, vmax))
    (bar_ax,) = [a for a in ax.figure.axes if a is not ax]
    assert bar_ax.get_ylabel() == "response"


def test_response_map_of_real_responses(field):
    rf = ComplexCell(1.5)
    pop = Population(rf, Mosaic.from_lattice(field, 0.3))
    image = np.zeros(field.shape)
    image[:, :15] = 1.0
    r = responses(pop, image)
    ax = plot_response_map(pop, r, ax=_new_ax(), colorbar=False)
    (dots,) = ax.collections
    np.testing.assert_allclose(dots.get_array(), r)
    np.testing.assert_allclose(dots.get_clim(), (r.min(), r.max()))  # one sign: [min, max]


def test_response_map_marker_size(population):
    values = np.ones(population.n_neurons)
    fig = plt.figure(figsize=(4, 4), dpi=100)
    ax = plot_response_map(population, values, ax=fig.add_subplot(), colorbar=False)
    (dots,) = ax.collections
    # Markers roughly tile: flat-to-flat width of the hexagon ~ the lattice spacing.
    origin, step = ax.transData.transform([(0, 0), (0.3, 0)])
    spacing_pt = (step[0] - origin[0]) * 72 / fig.dpi
    side = math.sqrt(dots.get_sizes()[0]) * math.sqrt(3) / 2
    assert side == pytest.approx(spacing_pt, rel=0.05)
    ax = plot_response_map(population, values, ax=_new_ax(), size=12.0)
    assert ax.collections[0].get_sizes()[0] == 12.0


def test_response_map_errors(population):
    ax = _new_ax()
    n = population.n_neurons
    with pytest.raises(
        ValueError,
        match=rf"`responses` must have length population.n_neurons = {n} .*got shape \(5,\)",
    ):
        plot_response_map(population, np.zeros(5), ax=ax)
    with pytest.raises(ValueError, match="`responses` must be 1-D"):
        plot_response_map(population, np.zeros((2, n)), ax=ax)
    with pytest.raises(ValueError, match=r"`neuron_type` must be in \[0, 2\).*got 2"):
        plot_response_map(population, np.zeros(n), ax=ax, neuron_type=2)
    with pytest.raises(ValueError, match=r"`neuron_type` must be in \[0, 2\).*got -1"):
        plot_response_map(population, np.zeros(n), ax=ax, neuron_type=-1)
    with pytest.raises(TypeError, match="`neuron_type` must be an integer"):
        plot_response_map(population, np.zeros(n), ax=ax, neuron_type=1.0)
    with pytest.raises(TypeError, match="`population` must be a Population, got Mosaic"):
        plot_response_map(population.mosaic, np.zeros(n), ax=ax)
    with pytest.raises(TypeError, match="`responses` must be real"):
        plot_response_map(population, np.zeros(n, complex), ax=ax)
    with pytest.raises(ValueError, match="`size` must be > 0"):
        plot_response_map(population, np.zeros(n), ax=ax, size=0)


# -- plots of cortex.analysis --------------------------------------------------------
from cortex import analysis  # noqa: E402
from cortex.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential  # noqa: E402
from cortex.plotting import (  # noqa: E402
    plot_filter_grid,
    plot_layer_tiling,
    plot_mapping_convergence,
    plot_rf_map,
    plot_tuning_curve,
)
from cortex.spikes import SpikeTrains  # noqa: E402


@pytest.fixture(scope="module")
def orientation_curve():
    field = VisualField(2.05, 2.05, pixels_per_degree=20)
    pop = Population(
        [Gabor(3.0, orientation=30.0), Gabor(3.0, orientation=120.0)],
        Mosaic(field, [[0.0, 0.0]]),
    )
    return analysis.tuning_curve(
        pop, "orientation", np.arange(0, 180, 15.0), spatial_frequency=3.0, orientation=0.0
    )


def test_plot_tuning_curve_linear_and_polar(orientation_curve):
    ax = plot_tuning_curve(orientation_curve)
    data = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(data) == 2  # one line per unit
    np.testing.assert_allclose(data[1].get_ydata(), orientation_curve.responses[:, 1])
    assert ax.get_xlabel() == "orientation (deg)"
    fig = plt.figure()
    polar = plot_tuning_curve(orientation_curve, units=0, polar=True)
    assert polar.name == "polar" and polar.figure is fig
    # orientation: drawn over the full circle (theta and theta + 180), closed
    assert len(polar.lines[0].get_xdata()) == 2 * orientation_curve.values.size + 1
    with pytest.raises(ValueError, match="Cartesian"):
        plot_tuning_curve(orientation_curve, polar=True, ax=plt.figure().add_subplot())
    with pytest.raises(ValueError, match=r"`units` must be in \[0, 2\)"):
        plot_tuning_curve(orientation_curve, units=[5])


def test_plot_tuning_curve_takes_a_label(orientation_curve):
    ax = plot_tuning_curve(orientation_curve, units=0, label="before training")
    assert [line.get_label() for line in ax.lines if line.get_marker() == "o"] == [
        "before training"
    ]
    ax = plot_tuning_curve(orientation_curve, label="after", ax=plt.figure().add_subplot())
    labels = [line.get_label() for line in ax.lines if line.get_marker() == "o"]
    assert labels == [f"after: {name}" for name in orientation_curve.labels]


def test_plot_tuning_curve_refuses_polar_frequency_curves():
    field = VisualField(2.05, 2.05, pixels_per_degree=20)
    curve = analysis.tuning_curve(
        (Gabor(3.0), Mosaic(field, [[0.0, 0.0]])),
        "spatial_frequency",
        np.geomspace(1, 6, 5),
        orientation=0.0,
    )
    ax = plot_tuning_curve(curve)
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="orientation or phase"):
        plot_tuning_curve(curve, polar=True)
    with pytest.raises(TypeError, match="TuningCurve"):
        plot_tuning_curve(np.ones(3))


def test_plot_rf_map_symmetric_scale_and_convergence(field):
    m = np.zeros(field.shape)
    m[3, 4], m[10, 12] = 2.0, -0.5
    ax = plot_rf_map(m, field)
    (image,) = ax.images
    assert image.get_clim() == (-2.0, 2.0)
    assert ax.get_xlabel() == "x (deg)"
    with pytest.raises(ValueError, match="must be finite"):
        plot_rf_map(np.full(field.shape, np.nan), field)
    ax = plot_mapping_convergence([100, 1000, 10000], [0.3, 0.7, 0.95], ax=plt.figure().gca())
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.3, 0.7, 0.95])
    with pytest.raises(ValueError, match="must have shape"):
        plot_mapping_convergence([1, 2], [0.1, 0.2, 0.3])


def test_plot_filter_grid_is_one_image_with_fits():
    weights = Conv2D(1, 5, 7, seed=0).params["weight"]
    _, fits = analysis.gabor_likeness(weights)
    ax = plot_filter_grid(weights, fits, n_columns=5, gap=1)
    (image,) = ax.images
    grid = image.get_array()
    assert grid.shape == (7 + 1 + 7, 5 * 8 - 1)  # filter above fit, one row of 5 tiles
    k = weights[2, 0]
    np.testing.assert_allclose(grid[:7, 16:23], k / np.abs(k).max(), rtol=1e-6)
    assert len(ax.texts) == 5
    with pytest.raises(ValueError, match="one fit per filter"):
        plot_filter_grid(weights, fits[:2])
    with pytest.raises(ValueError, match="3-D or 4-D|must be"):
        plot_filter_grid(np.ones((7, 7)))


def test_plot_layer_tiling_draws_one_collection_per_layer():
    model = Sequential([Conv2D(1, 2, 5, seed=0), ReLU(), MaxPool2D(2), Conv2D(2, 2, 3, seed=0)])
    field = VisualField(2.8, 2.8, pixels_per_degree=10)  # 28 x 28 px
    ax = plot_layer_tiling(model, 3, field)
    (ellipses,) = [c for c in ax.collections if isinstance(c, EllipseCollection)]
    assert len(ellipses.get_offsets()) == 10 * 10  # 28 -> 24 -> 12 -> 10
    assert "RF 10 px, jump 2 px" in ax.get_title()
    sparse = plot_layer_tiling(model, 3, field, every=2, ax=plt.figure().gca())
    (ellipses,) = [c for c in sparse.collections if isinstance(c, EllipseCollection)]
    assert len(ellipses.get_offsets()) == 25


def test_plot_layer_tiling_indexes_model_layers_and_titles_the_right_layer():
    model = Sequential([Conv2D(1, 2, 5, seed=0), ReLU(), MaxPool2D(2), Conv2D(2, 2, 3, seed=0)])
    field = VisualField(2.8, 2.8, pixels_per_degree=10)  # 28 x 28 px
    # RFs by hand: 5 px; the 2 x 2 pooling adds 1 px and doubles the jump; the conv 2 x 2 px
    last = plot_layer_tiling(model, -1, field)
    assert last.get_title() == "layer 3 (Conv2D): RF 10 px, jump 2 px"
    same = plot_layer_tiling(model, len(model.layers) - 1, field, ax=plt.figure().gca())
    assert same.get_title() == last.get_title()
    pool = plot_layer_tiling(model, -2, field, ax=plt.figure().gca())
    assert pool.get_title() == "layer 2 (MaxPool2D): RF 6 px, jump 2 px"
    headed = Sequential([Conv2D(1, 2, 5, seed=0), MaxPool2D(2), Flatten(), Dense(288, 2)])
    with pytest.raises(ValueError, match=r"`layer` -1 is layer 3 \(Dense\), which has no spatial"):
        plot_layer_tiling(headed, -1, field)


def test_filter_grid_draws_fits_at_their_sampling_and_tuning_curves_take_a_color():
    ppd = 3.5
    bank = Conv2D.from_receptive_fields([Gabor(0.8, orientation=45.0)], ppd, kernel_size=7)
    w = bank.params["weight"]
    _, fits = analysis.gabor_likeness(w, pixels_per_degree=ppd)
    ax = plot_filter_grid(w, fits, pixels_per_degree=ppd, gap=0, n_columns=1)
    grid = ax.images[0].get_array()
    k = w[0, 0]
    np.testing.assert_allclose(grid[7:14], fits[0].evaluate((7, 7), ppd) / np.abs(k).max())
    assert np.abs(grid[7:14] - grid[:7]).max() < 0.1  # the fit looks like the filter
    field = VisualField(2.05, 2.05, pixels_per_degree=20)
    curve = analysis.tuning_curve(
        (Gabor(3.0), Mosaic(field, [[0.0, 0.0]])),
        "orientation",
        np.arange(0, 180, 30.0),
        spatial_frequency=3.0,
    )
    ax = plot_tuning_curve(curve, color="k", ax=plt.figure().gca())
    assert ax.lines[0].get_color() == "k"


# -- bad input and the memory budget (issue 11) -----------------------------------------
FIELD = VisualField(3.0, 2.6, pixels_per_degree=10)
MOSAIC = Mosaic.from_lattice(FIELD, spacing=0.3, lattice="hexagonal")
DOG = DifferenceOfGaussians(0.2, 0.4)
POPULATION = Population([DOG, DifferenceOfGaussians(0.2, 0.4, polarity="off")], MOSAIC)
WEIGHTS = np.random.default_rng(0).standard_normal((3, 1, 5, 5))
TILED = Sequential([Conv2D(1, 2, 5, seed=0), ReLU(), MaxPool2D(2), Conv2D(2, 2, 3, seed=0)])
TRAINS = SpikeTrains([0, 2, 1, 0], [0.1, 0.3, 0.5, 0.9], n_neurons=3, t_start=0.0, t_stop=1.0)
XT_KERNEL = np.random.default_rng(1).standard_normal((6, 5, 7))  # (T, H, W)
ANGLES = np.arange(0.0, 360.0, 45.0)
DIRECTION = analysis.DirectionTuning(
    ANGLES,
    np.stack([10 + 8 * np.cos(np.deg2rad(ANGLES - 90)), 5 + 0 * ANGLES], axis=1),
    np.ones((8, 2)),
    2.0,
    4.0,
)


def _polar(kw):
    """Replace a Cartesian ``ax`` by a polar one on its figure (polar plots need one)."""
    ax = kw.get("ax")
    if isinstance(ax, matplotlib.axes.Axes) and ax.name != "polar":
        figure = ax.figure
        ax.remove()
        kw = {**kw, "ax": figure.add_subplot(projection="polar")}
    return kw


#: every plot function, called with valid data and keyword overrides.
PLOTS = {
    "plot_kernel": lambda **kw: plot_kernel(DOG, **{"pixels_per_degree": 10, **kw}),
    "plot_image": lambda **kw: plot_image(np.zeros(FIELD.shape), FIELD, **kw),
    "plot_mosaic": lambda **kw: plot_mosaic(MOSAIC, DOG, **kw),
    "plot_coverage": lambda **kw: plot_coverage(MOSAIC, DOG, **kw),
    "plot_response_map": lambda **kw: plot_response_map(
        POPULATION, np.ones(POPULATION.n_neurons), **kw
    ),
    "plot_rf_map": lambda **kw: plot_rf_map(np.ones(FIELD.shape), FIELD, **kw),
    "plot_mapping_convergence": lambda **kw: plot_mapping_convergence([10, 100], [0.2, 0.9], **kw),
    "plot_filter_grid": lambda **kw: plot_filter_grid(WEIGHTS, **kw),
    "plot_layer_tiling": lambda **kw: plot_layer_tiling(
        TILED, 3, VisualField(2.8, 2.8, pixels_per_degree=10), **kw
    ),
    "plot_nn_histogram": lambda **kw: plotting.plot_nn_histogram(MOSAIC, **kw),
    "plot_density_recovery_profile": lambda **kw: plotting.plot_density_recovery_profile(
        MOSAIC, **kw
    ),
    "plot_voronoi": lambda **kw: plotting.plot_voronoi(MOSAIC, **kw),
    "plot_raster": lambda **kw: plotting.plot_raster(TRAINS, **kw),
    "plot_psth": lambda **kw: plotting.plot_psth(TRAINS, 0.25, **kw),
    "plot_xt": lambda **kw: plotting.plot_xt(
        XT_KERNEL, **{"pixels_per_degree": 10, "frames_per_second": 50, **kw}
    ),
    "plot_direction_tuning": lambda **kw: plotting.plot_direction_tuning(DIRECTION, **_polar(kw)),
}
WITH_CMAP = [
    "plot_kernel",
    "plot_image",
    "plot_coverage",
    "plot_response_map",
    "plot_rf_map",
    "plot_filter_grid",
    "plot_xt",
]
WITH_COLORBAR = [
    "plot_kernel",
    "plot_image",
    "plot_coverage",
    "plot_response_map",
    "plot_rf_map",
    "plot_xt",
]


def test_every_plot_is_covered():
    assert set(PLOTS) | {"plot_tuning_curve"} == set(plotting.__all__)
    for name, call in PLOTS.items():
        assert isinstance(call(ax=_new_ax()), matplotlib.axes.Axes), name


@given(
    name=st.sampled_from(sorted(PLOTS)),
    ax=st.sampled_from(["left", 3, True, np.zeros(2), matplotlib.figure.Figure()]),
)
def test_every_plot_refuses_an_ax_that_is_not_an_axes(name, ax):
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes or None"):
        PLOTS[name](ax=ax)


def test_tuning_curves_refuse_an_ax_that_is_not_an_axes(orientation_curve):
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes or None"):
        plot_tuning_curve(orientation_curve, ax="polar")


@given(
    name=st.sampled_from(WITH_CMAP),
    cmap=st.sampled_from([3, None, True, ("RdBu",), "no-such-map", ""]),
)
def test_colormaps_are_validated(name, cmap):
    error = ValueError if isinstance(cmap, str) else TypeError
    with pytest.raises(error, match="`cmap`"):
        PLOTS[name](ax=_new_ax(), cmap=cmap)
    plt.close("all")


@given(name=st.sampled_from(WITH_COLORBAR), colorbar=st.sampled_from(["yes", 1, 0, None, 1.0]))
def test_colorbar_flags_are_bools(name, colorbar):
    with pytest.raises(TypeError, match="`colorbar` must be True or False"):
        PLOTS[name](ax=_new_ax(), colorbar=colorbar)
    plt.close("all")


#: (plot, argument, bad value, error)
BAD_ARGUMENTS = [
    ("plot_kernel", "pixels_per_degree", 1e300, ValueError),
    ("plot_kernel", "pixels_per_degree", True, TypeError),
    ("plot_kernel", "n_sigma", 1e300, ValueError),
    ("plot_kernel", "n_sigma", "3", TypeError),
    ("plot_mosaic", "linewidth", -1.0, ValueError),
    ("plot_mosaic", "linewidth", 1e300, ValueError),
    ("plot_mosaic", "linewidth", "thin", TypeError),
    ("plot_mosaic", "show_centers", "yes", TypeError),
    ("plot_mosaic", "facecolor", "no-such-colour", ValueError),
    ("plot_mosaic", "facecolor", None, TypeError),
    ("plot_mosaic", "edgecolor", True, TypeError),
    ("plot_mosaic", "level", 1e300, ValueError),
    ("plot_mosaic", "level", None, TypeError),
    ("plot_coverage", "level", "fwhm", ValueError),
    ("plot_response_map", "size", 1e300, ValueError),
    ("plot_response_map", "size", "big", TypeError),
    ("plot_response_map", "neuron_type", True, TypeError),
    ("plot_rf_map", "label", 3, TypeError),
    ("plot_mapping_convergence", "labels", "ab", TypeError),
    ("plot_mapping_convergence", "labels", ["a", "b", "c"], ValueError),
    ("plot_mapping_convergence", "labels", [1, 2], ValueError),
    ("plot_mapping_convergence", "target", 2.0, ValueError),
    ("plot_mapping_convergence", "target", "0.9", TypeError),
    ("plot_mapping_convergence", "target", np.nan, ValueError),
    ("plot_filter_grid", "fits", 3, TypeError),
    ("plot_filter_grid", "fits", "abc", TypeError),
    ("plot_filter_grid", "fits[2]", [None, None, "fit"], TypeError),
    ("plot_filter_grid", "n_columns", 0, ValueError),
    ("plot_filter_grid", "n_columns", 1.5, TypeError),
    ("plot_filter_grid", "gap", -1, ValueError),
    ("plot_filter_grid", "gap", True, TypeError),
    ("plot_filter_grid", "pixels_per_degree", 0.0, ValueError),
    ("plot_filter_grid", "pixels_per_degree", 1e300, ValueError),
    ("plot_layer_tiling", "every", 0, ValueError),
    ("plot_layer_tiling", "every", "2", TypeError),
    ("plot_xt", "pixels_per_degree", 0.0, ValueError),
    ("plot_xt", "pixels_per_degree", None, TypeError),
    ("plot_xt", "frames_per_second", "50", TypeError),
    ("plot_xt", "frames_per_second", 1e300, ValueError),
    ("plot_xt", "row", 5, ValueError),
    ("plot_xt", "row", 1.5, TypeError),
    ("plot_direction_tuning", "statistic", "max", ValueError),
    ("plot_direction_tuning", "statistic", 1, TypeError),
    ("plot_direction_tuning", "units", [2], ValueError),
    ("plot_direction_tuning", "units", "0", TypeError),
    ("plot_direction_tuning", "show_preferred", "yes", TypeError),
]


@pytest.mark.parametrize(
    ("name", "argument", "bad", "error"),
    BAD_ARGUMENTS,
    ids=[f"{n}-{a}" for n, a, *_ in BAD_ARGUMENTS],
)
def test_plot_options_are_validated_naming_them(name, argument, bad, error):
    with pytest.raises(error, match=re.escape(f"`{argument}`")):
        PLOTS[name](ax=_new_ax(), **{argument.split("[")[0]: bad})


BAD_DATA = [
    (
        lambda bad: plot_kernel(bad, 10),
        "rf",
        [
            None,
            "abc",
            np.ones((2, 3, 3)),
            np.zeros((0, 3)),
            np.full((3, 3), np.inf),
            [[1.0], [1.0, 2.0]],
        ],
    ),
    (
        lambda bad: plot_image(bad, FIELD),
        "image",
        [
            None,
            "abc",
            np.zeros((26, 31)),
            np.zeros(3),
            np.full(FIELD.shape, np.nan),
            np.zeros(FIELD.shape, complex),
        ],
    ),
    (lambda bad: plot_image(np.zeros(FIELD.shape), bad), "field", [None, (3.0, 2.6), MOSAIC]),
    (
        lambda bad: plot_rf_map(bad, FIELD),
        "rf_map",
        [None, "abc", np.zeros((3, 3)), np.full(FIELD.shape, np.nan)],
    ),
    (lambda bad: plot_rf_map(np.ones(FIELD.shape), bad), "field", [None, (3.0, 2.6)]),
    (lambda bad: plot_mosaic(bad, DOG), "mosaic", [None, FIELD, MOSAIC.centers]),
    (lambda bad: plot_mosaic(MOSAIC, bad), "rf", [None, "dog", 3]),
    (lambda bad: plot_coverage(bad, DOG), "mosaic", [None, FIELD]),
    (lambda bad: plot_coverage(MOSAIC, bad), "rf", [None, "dog"]),
    (lambda bad: plot_response_map(bad, np.ones(3)), "population", [None, MOSAIC]),
    (
        lambda bad: plot_response_map(POPULATION, bad),
        "responses",
        [
            None,
            "abc",
            np.ones(3),
            np.ones((2, POPULATION.n_neurons)),
            np.full(POPULATION.n_neurons, np.nan),
            np.ones(POPULATION.n_neurons, complex),
        ],
    ),
    (
        lambda bad: plot_mapping_convergence(bad, [0.5, 0.6]),
        "counts",
        [None, "ab", [0, 10], [-1, 10], [[1, 10]], [np.inf, 10], []],
    ),
    (
        lambda bad: plot_mapping_convergence([10, 100], bad),
        "correlation",
        [None, "ab", [0.5, np.inf], [0.5, 2.0], [0.5], np.zeros((2, 2, 2)), [True, False], []],
    ),
    (
        lambda bad: plot_filter_grid(bad),
        "weights",
        [None, "abc", np.ones((5, 5)), np.ones((1, 1, 1, 5, 5)), np.full((2, 3, 3), np.nan)],
    ),
    (lambda bad: plot_layer_tiling(TILED, 3, bad), "field", [None, (2.8, 2.8)]),
    (
        lambda bad: plotting.plot_xt(bad, pixels_per_degree=10, frames_per_second=50),
        "data",
        [
            None,
            "abc",
            np.ones(3),
            np.ones((1, 2, 3, 4)),
            np.full((2, 3, 3), np.nan),
            1j * XT_KERNEL,
        ],
    ),
    (
        lambda bad: plotting.plot_direction_tuning(bad),
        "result",
        [None, "tuning", np.ones((8, 1)), TRAINS],
    ),
]


@pytest.mark.parametrize(
    ("call", "argument", "values"),
    BAD_DATA,
    ids=[f"{i}-{a}" for i, (_, a, _) in enumerate(BAD_DATA)],
)
@given(data=st.data())
def test_plot_data_is_validated_naming_it(call, argument, values, data):
    bad = data.draw(st.sampled_from(values))
    plt.figure()
    with pytest.raises((TypeError, ValueError), match=f"`{argument}`"):
        call(bad)
    plt.close("all")


@given(
    units=st.sampled_from(["a", 1.5, [], [[0]], True, [0.0], None]),
    polar=st.sampled_from(["yes", 1, None]),
)
def test_tuning_curve_options_are_validated(orientation_curve, units, polar):
    if units is not None:
        with pytest.raises((TypeError, ValueError), match="`units`"):
            plot_tuning_curve(orientation_curve, units=units, ax=_new_ax())
    with pytest.raises(TypeError, match="`polar` must be True or False"):
        plot_tuning_curve(orientation_curve, polar=polar)
    with pytest.raises(TypeError, match="`show_preferred` must be True or False"):
        plot_tuning_curve(orientation_curve, show_preferred=polar)
    plt.close("all")


def test_convergence_of_units_that_never_responded_is_drawn():
    ax = plot_mapping_convergence([10, 100], [[np.nan, 0.5], [np.nan, 0.8]], ax=_new_ax())
    assert len(ax.lines) >= 2 and ax.get_ylim()[1] == 1.02
    ax = plot_mapping_convergence([10, 100], [np.nan, np.nan], ax=_new_ax(), target=None)
    assert np.all(np.isfinite(ax.get_ylim()))


def test_plots_refuse_oversized_requests_before_allocating(small_budget):
    ax = _new_ax()
    refused_cheaply(lambda: plot_filter_grid(WEIGHTS, n_columns=10**9, ax=ax), match="filter grid")
    refused_cheaply(lambda: plot_filter_grid(WEIGHTS, gap=10**6, ax=ax), match="filter grid")
    refused_cheaply(lambda: plot_kernel(Gaussian(1e6), 16, ax=ax), match="kernel of Gaussian")
    big = VisualField(200.0, 200.0, 10.0)  # 4 Mpx: one image fits in 64 MiB, the counts do not
    refused_cheaply(lambda: plot_coverage(Mosaic(big, [[0.0, 0.0]]), DOG, ax=ax), match="coverage")


# -- analysis in time --------------------------------------------------------------------
def test_plot_xt_of_a_kernel_spans_its_pixels_and_lags():
    ppd, fps = 10.0, 50.0
    ax = plotting.plot_xt(XT_KERNEL, _new_ax(), pixels_per_degree=ppd, frames_per_second=fps)
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), XT_KERNEL[:, 2, :])  # the centre row
    # 7 columns centred on column 3 (x = 0); 6 lags of 1/50 s from 0 at the top
    np.testing.assert_allclose(image.get_extent(), [-0.35, 0.35, 6 / fps, 0.0])
    vmax = np.abs(XT_KERNEL[:, 2, :]).max()
    np.testing.assert_allclose(image.get_clim(), (-vmax, vmax))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x (deg)", "lag (s)")
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # lags increase downwards
    row = plotting.plot_xt(
        XT_KERNEL, _new_ax(), pixels_per_degree=ppd, frames_per_second=fps, row=0, colorbar=False
    )
    np.testing.assert_array_equal(row.images[0].get_array(), XT_KERNEL[:, 0, :])
    sliced = plotting.plot_xt(
        XT_KERNEL[:, 1], _new_ax(), pixels_per_degree=ppd, frames_per_second=fps
    )
    np.testing.assert_array_equal(sliced.images[0].get_array(), XT_KERNEL[:, 1])
    with pytest.raises(ValueError, match="`row` selects a row of a \\(T, H, W\\) array"):
        plotting.plot_xt(XT_KERNEL[:, 1], pixels_per_degree=ppd, frames_per_second=fps, row=0)
    with pytest.raises(TypeError, match="`frames_per_second` is required"):
        plotting.plot_xt(XT_KERNEL, pixels_per_degree=ppd)


def test_plot_xt_of_a_movie_uses_its_field_and_frame_rate():
    from cortex.movies import drifting_grating

    movie = drifting_grating(FIELD, 20.0, 0.5, spatial_frequency=1.0, temporal_frequency=2.0)
    ax = plotting.plot_xt(movie, _new_ax(), frames_per_second=20.0)
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), movie.frames[:, FIELD.shape[0] // 2])
    left, right = FIELD.extent[:2]
    np.testing.assert_allclose(image.get_extent(), [left, right, 0.5, 0.0])
    assert ax.get_ylabel() == "time (s)"
    with pytest.raises(ValueError, match="`frames_per_second` is 30, but the movie's is 20"):
        plotting.plot_xt(movie, frames_per_second=30.0)


def test_plot_direction_tuning_draws_closed_polar_curves():
    fig = plt.figure()
    ax = plotting.plot_direction_tuning(DIRECTION, units=0)
    assert ax.name == "polar" and ax.figure is fig
    curve, preferred = ax.lines
    assert len(curve.get_xdata()) == ANGLES.size + 1  # closed
    np.testing.assert_allclose(curve.get_ydata()[:-1], DIRECTION.mean[:, 0])
    np.testing.assert_allclose(preferred.get_xdata(), np.deg2rad([90.0, 90.0]))
    assert ax.get_title() == "DSI 0.80"  # (18 - 2) / (18 + 2)
    again = plotting.plot_direction_tuning(DIRECTION, statistic="f1", show_preferred=False)
    assert again is ax  # the current polar Axes is reused
    both = plotting.plot_direction_tuning(DIRECTION, plt.figure().add_subplot(projection="polar"))
    labels = [text.get_text() for text in both.get_legend().get_texts()]
    assert labels == ["unit 0 (DSI 0.80)", "unit 1 (DSI 0.00)"]
    with pytest.raises(ValueError, match="`ax` must be a polar Axes"):
        plotting.plot_direction_tuning(DIRECTION, _new_ax())
