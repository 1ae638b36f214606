"""
Receptive-field zoo
===================

The receptive-field (RF) models of :mod:`cortex` side by side: an isotropic
:class:`~cortex.Gaussian` blob, ON- and OFF-centre
:class:`~cortex.DifferenceOfGaussians` (retina and LGN), :class:`~cortex.Gabor`
simple cells at several orientations, phases and spatial frequencies (V1), and
a :class:`~cortex.ComplexCell` (the energy of a quadrature pair of Gabors).

Each RF is drawn in space with :func:`cortex.plotting.plot_kernel` (degrees of
visual angle) and in frequency with its analytic spectrum
:meth:`~cortex.ReceptiveField.frequency_response` (cycles/degree). A last
section checks the cross-correlation convention: the response of a neuron to a
grating is read straight off its spectrum.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np
from scipy import signal

import cortex
from cortex.plotting import plot_kernel
from cortex.stimuli import grating

# Coarser sampling when the example runs as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_rf_zoo_{n}.png"), dpi=100)


# %%
# Units and conventions
# ---------------------
# Positions and sizes are in degrees of visual angle, with ``x`` to the right
# and ``y`` up; spatial frequencies are in cycles/degree (cyc/deg).
# ``orientation = 0`` is a *vertical* bar or grating, whose luminance varies
# along ``x``; orientations grow counter-clockwise (90 = horizontal bars).
# Gabor phase 0 is an even (cosine) RF with an ON centre, phase 90 an odd one.
#
# An RF is a weighting density ``w(x, y)`` in 1/deg^2. A kernel samples it
# at the pixel centres and multiplies by the pixel area
# ``1 / pixels_per_degree**2`` (so the colour bars below read "weight per
# pixel"), and responses do not depend on the sampling density. The spectrum
# is the continuous Fourier transform
# ``W(fx, fy) = integral w(x, y) exp(-2 pi i (fx x + fy y)) dx dy``: it is
# dimensionless, the response amplitude per unit contrast of a grating of
# frequency ``(fx, fy)``.

ppd = 20.0 if SMALL else 40.0  # pixels per degree of the kernels
f_max = 10.0  # cyc/deg: the spectra are shown for |fx|, |fy| <= f_max
n_freq = 121 if SMALL else 241
freqs = np.linspace(-f_max, f_max, n_freq)
fx, fy = np.meshgrid(freqs, freqs)  # fy grows up the rows (imshow origin="lower")
spectrum_extent = (-f_max, f_max, -f_max, f_max)


def plot_spectrum(rf, ax, part="abs", cmap="magma"):
    """Show ``W(fx, fy)`` (its modulus or real part) in cycles/degree."""
    w = rf.frequency_response(fx, fy)
    if part == "abs":
        shown, kwargs, label = np.abs(w), {"vmin": 0.0}, "|W| (per unit contrast)"
    else:
        shown, label = w.real, "W (per unit contrast)"
        limit = np.abs(shown).max()
        kwargs = {"vmin": -limit, "vmax": limit}
    image = ax.imshow(
        shown, extent=spectrum_extent, origin="lower", cmap=cmap, interpolation="nearest", **kwargs
    )
    ax.set(xlabel="$f_x$ (cyc/deg)", ylabel="$f_y$ (cyc/deg)")
    ax.figure.colorbar(image, ax=ax, label=label, shrink=0.85)
    return ax


def show_kernel(rf, ax, title, **kwargs):
    """Draw an RF kernel in degrees, with a colour bar as tall as the image."""
    plot_kernel(rf, ppd, ax=ax, colorbar=False, **kwargs)
    ax.figure.colorbar(ax.images[-1], ax=ax, label="weight (1/px)", shrink=0.85)
    ax.set_title(title)
    return ax


def same_window(axes, half_width):
    """Show the same patch of visual field, +/- half_width deg, on every kernel."""
    for ax in axes:
        ax.set(xlim=(-half_width, half_width), ylim=(-half_width, half_width))


# %%
# Blobs and centre-surround RFs
# -----------------------------
# The Gaussian integrates to 1: it passes uniform light (``W(0, 0) = 1``) and
# is a low-pass filter. The balanced difference of Gaussians (centre sigma
# 0.1 deg, surround 0.3 deg, equal volumes) has no response to uniform light
# (``W(0, 0) = 0``) and is band-pass: a ring of preferred frequencies in every
# orientation. The OFF-centre RF is the ON one with its sign flipped, so its
# spectrum is the negative of the ON spectrum (both are real, because the RFs
# are even: ``w(-x, -y) = w(x, y)``).

gaussian = cortex.Gaussian(sigma=0.15)
dog_on = cortex.DifferenceOfGaussians(sigma_center=0.1, sigma_surround=0.3, polarity="on")
dog_off = cortex.DifferenceOfGaussians(sigma_center=0.1, sigma_surround=0.3, polarity="off")
blobs = [(gaussian, "Gaussian"), (dog_on, "ON-centre DoG"), (dog_off, "OFF-centre DoG")]

fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
for col, (rf, name) in enumerate(blobs):
    show_kernel(rf, axes[0, col], f"{name} RF")
    plot_spectrum(rf, axes[1, col], part="real", cmap="RdBu_r")
    axes[1, col].set_title(f"{name} spectrum (real)")
same_window(axes[0], 0.9)
save(fig, 1)

for rf, name in blobs:
    peak = np.abs(rf.frequency_response(freqs, 0.0)).argmax()
    print(
        f"{name:15s}: W(0, 0) = {rf.frequency_response(0.0, 0.0).real:+.3f}, "
        f"peak |W| at {abs(freqs[peak]):.2f} cyc/deg"
    )

# %%
# Gabors at four orientations
# ---------------------------
# A Gabor is a Gaussian envelope times a sinusoidal carrier. Here the carrier
# is 3 cyc/deg, even phase, with the default 1-octave bandwidth (envelope
# sigma about ``0.56 / f`` deg). Its spectrum is a pair of Gaussian lobes at
# ``+/-3`` cyc/deg along the direction ``orientation`` from the ``fx`` axis:
# an orientation-0 RF (vertical bars) varies along ``x`` and so prefers
# gratings with frequency along ``fx``.

orientations = (0.0, 45.0, 90.0, 135.0)
fig, axes = plt.subplots(2, 4, figsize=(17, 7.5), layout="constrained")
for col, orientation in enumerate(orientations):
    gabor = cortex.Gabor(spatial_frequency=3.0, orientation=orientation)
    show_kernel(gabor, axes[0, col], f"Gabor, orientation {orientation:g} deg")
    plot_spectrum(gabor, axes[1, col])
    axes[1, col].set_title(f"|W|, orientation {orientation:g} deg")
same_window(axes[0], 0.6)
save(fig, 2)

# %%
# Phase and spatial frequency
# ---------------------------
# Changing the phase (0 = even/cosine, 90 = odd/sine) moves the carrier under
# the envelope but leaves the modulus of the spectrum unchanged: phase lives
# in the argument of ``W``, as printed below. Changing the spatial frequency
# with the default 1-octave bandwidth scales the whole RF: at 1.5 cyc/deg the
# RF is twice as large and its spectral lobes twice as close to the origin as
# at 3 cyc/deg, and at 6 cyc/deg the reverse.

variants = [
    (cortex.Gabor(3.0, 0.0, phase=0.0), "3 cyc/deg, phase 0"),
    (cortex.Gabor(3.0, 0.0, phase=90.0), "3 cyc/deg, phase 90"),
    (cortex.Gabor(1.5, 0.0), "1.5 cyc/deg, phase 0"),
    (cortex.Gabor(6.0, 0.0), "6 cyc/deg, phase 0"),
]
fig, axes = plt.subplots(2, 4, figsize=(17, 7.5), layout="constrained")
for col, (gabor, name) in enumerate(variants):
    show_kernel(gabor, axes[0, col], f"Gabor, {name}")
    plot_spectrum(gabor, axes[1, col])
    axes[1, col].set_title(f"|W|, {name}")
    w_peak = gabor.frequency_response(gabor.spatial_frequency, 0.0)
    print(
        f"Gabor {name:20s}: envelope sigma {gabor.sigma_x:.3f} deg, "
        f"W at (+f, 0): |W| = {abs(w_peak):.3f}, arg W = {math.degrees(np.angle(w_peak)):+.0f} deg"
    )
same_window(axes[0], 1.0)
save(fig, 3)

# %%
# A complex cell: a quadrature pair
# ---------------------------------
# A :class:`~cortex.ComplexCell` has the complex RF ``w_even + i w_odd``: an
# even and an odd Gabor with the same envelope and carrier. Its response is
# the energy ``even**2 + odd**2``. The modulus ``|w_even + i w_odd|`` is just
# the Gaussian envelope: the carrier, hence the phase preference, is gone.
# The complex RF's spectrum has a single lobe (the even and odd parts cancel
# on one side of the origin).

complex_cell = cortex.ComplexCell(spatial_frequency=3.0, orientation=30.0)
fig, axes = plt.subplots(1, 4, figsize=(18, 4.2), layout="constrained")
show_kernel(complex_cell, axes[0], "Complex cell: even part (real)", part="real")
show_kernel(complex_cell, axes[1], "Complex cell: odd part (imag)", part="imag")
show_kernel(
    complex_cell, axes[2], "|even + i odd|: the envelope", part="abs", cmap="magma", vmin=0.0
)
same_window(axes[:3], 0.6)
plot_spectrum(complex_cell, axes[3])
axes[3].set_title("|spectrum| of even + i odd")
save(fig, 4)

# %%
# One-dimensional profiles
# ------------------------
# Cuts along ``y = 0`` through the RFs in space (left, 1/deg^2) and along
# ``fy = 0`` through their spectra (right). The DoG is the "Mexican hat", the
# even Gabor has side lobes at the carrier's period (1/3 deg), the odd Gabor
# is antisymmetric. In frequency, the Gaussian is low-pass, the DoG and the
# Gabor band-pass; the DoG's pass band is broad (it is not orientation
# selective), the Gabor's narrow (one octave). ON and OFF, and the even and odd
# Gabors, have the same amplitude spectrum (dashed lines on solid ones).

x = np.linspace(-1.0, 1.0, 801)
gabor_even, gabor_odd = cortex.Gabor(3.0), cortex.Gabor(3.0, phase=90.0)
profiles = [
    (gaussian, "Gaussian (sigma 0.15 deg)", "-"),
    (dog_on, "ON-centre DoG", "-"),
    (dog_off, "OFF-centre DoG", "--"),
    (gabor_even, "Gabor 3 cyc/deg, phase 0", "-"),
    (gabor_odd, "Gabor 3 cyc/deg, phase 90", "--"),
]
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
positive = freqs >= 0
for rf, name, style in profiles:
    axes[0].plot(x, rf.profile(x, 0.0), style, label=name)
    spectrum = np.abs(rf.frequency_response(freqs[positive], 0.0))
    axes[1].plot(freqs[positive], spectrum, style, label=name)
axes[0].axhline(0.0, color="0.6", linewidth=0.8)
axes[0].set(xlabel="x (deg)", ylabel="w(x, 0) (1/deg$^2$)", title="RF profiles at y = 0")
axes[1].set(
    xlabel="$f_x$ (cyc/deg)", ylabel="|W($f_x$, 0)| (per unit contrast)", title="Spectra at fy = 0"
)
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
save(fig, 5)

# %%
# The spectrum of the sampled kernel
# ----------------------------------
# The discrete Fourier transform of a kernel (sum over its pixels of
# ``kernel * exp(-2 pi i f.x)``) approximates the analytic spectrum. The
# differences come from cutting the RF at 3 sigma and from sampling.


def kernel_spectrum(rf, f):
    """Discrete Fourier transform of ``rf.kernel(ppd)`` at frequencies ``(f, 0)``."""
    kernel = rf.kernel(ppd)
    half = kernel.shape[1] // 2
    offsets = np.arange(-half, half + 1) / ppd  # deg along x (columns)
    along_x = kernel.sum(axis=0)  # fy = 0: sum the rows
    return along_x @ np.exp(-2j * math.pi * np.outer(offsets, f))


for rf, name, _ in profiles:
    analytic = rf.frequency_response(freqs, 0.0)
    error = np.abs(kernel_spectrum(rf, freqs) - analytic).max()
    print(f"{name:28s}: max |DFT - W| = {error:.1e} (peak |W| {np.abs(analytic).max():.3f})")

# %%
# The cross-correlation convention
# --------------------------------
# A neuron centred at ``c`` responds ``sum_p w(p - c) I(p)``: the image is
# weighted by the RF *as drawn*, which is a cross-correlation of the image
# with the kernel (``scipy.signal.correlate``, or ``torch.nn.Conv2d``), not a
# convolution (which flips the kernel). For a grating
# ``cos(2 pi f.p + phi)`` the response is therefore
# ``Re[exp(i phi) conj(W(f))] = |W(f)| cos(phi - arg W(f))``: a simple cell
# responds most to the grating whose phase at its centre matches its own
# phase, with amplitude ``|W(f)|``. A convolution would flip an odd RF and
# invert its phase preference. The complex cell's energy,
# ``|W_even(f)|**2 cos(phi)**2 + |W_odd(f)|**2 sin(phi)**2``, hardly depends on
# the grating's phase, because the even and odd spectra have (almost) the same
# modulus at the preferred frequency.
#
# We check this with :func:`cortex.responses`: three neurons centred at
# fixation (an even Gabor, an odd Gabor and the complex cell, all at
# 30 deg and 3 cyc/deg) look at gratings of every phase at their preferred
# frequency and orientation.

n_pixels = 41 if SMALL else 81  # odd, so that a pixel sits on fixation
field = cortex.VisualField(n_pixels / ppd, n_pixels / ppd, ppd)
even, odd = complex_cell.quadrature_pair()
centre = cortex.Mosaic(field, [[0.0, 0.0]])
population = cortex.Population([even, odd, complex_cell], centre)

phases = np.linspace(0.0, 360.0, 73)
frequency = complex_cell.spatial_frequency
orientation = complex_cell.orientation
gratings = grating(field, frequency, orientation, phases)
measured = cortex.responses(population, gratings)  # (n_phases, 3): even, odd, energy
f_vec = frequency * np.array(
    [math.cos(math.radians(orientation)), math.sin(math.radians(orientation))]
)
phi = np.radians(phases)
predicted = {
    rf: np.real(np.exp(1j * phi) * np.conj(rf.frequency_response(*f_vec))) for rf in (even, odd)
}
w_even, w_odd = abs(even.frequency_response(*f_vec)), abs(odd.frequency_response(*f_vec))
energy = w_even**2 * np.cos(phi) ** 2 + w_odd**2 * np.sin(phi) ** 2
# What a convolution would give for the odd Gabor: the flipped kernel.
flipped = [
    signal.convolve2d(image, odd.kernel(ppd), mode="same")[n_pixels // 2, n_pixels // 2]
    for image in gratings
]

fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
for k, (rf, name) in enumerate(((even, "even Gabor (phase 0)"), (odd, "odd Gabor (phase 90)"))):
    axes[0].plot(phases, measured[:, k], "o", ms=3, color=f"C{k}", label=f"{name}: cortex")
    axes[0].plot(phases, predicted[rf], "-", color=f"C{k}", label=f"{name}: Re[exp(i phi) W*]")
axes[0].plot(phases, flipped, "--", color="C3", label="odd Gabor by convolution (flipped)")
axes[0].axhline(0.0, color="0.6", linewidth=0.8)
axes[0].set(
    xlabel="grating phase at the RF centre (deg)",
    ylabel="linear response (per unit contrast)",
    title="Simple cells: phase tuning",
    xticks=np.arange(0, 361, 90),
)
axes[0].set_ylim(-0.6, 0.95)
axes[0].legend(fontsize=8, ncol=2, loc="upper center")
axes[1].plot(phases, energy, "-", color="0.3", linewidth=3, label="analytic, from the spectra")
axes[1].plot(phases, measured[:, 2], "o", ms=3, color="C2", label="cortex")
axes[1].set(
    xlabel="grating phase at the RF centre (deg)",
    ylabel="energy response (per unit contrast$^2$)",
    title="Complex cell: phase invariant",
    xticks=np.arange(0, 361, 90),
    ylim=(0.0, 1.3 * energy.max()),
)
axes[1].legend(fontsize=8)
save(fig, 6)

for k, (rf, name) in enumerate(((even, "even"), (odd, "odd"))):
    best = phases[np.argmax(measured[:, k])]
    error = np.abs(measured[:, k] - predicted[rf]).max()
    print(f"{name} Gabor: best grating phase {best:g} deg, max |cortex - analytic| = {error:.1e}")
print(
    f"complex cell: energy {measured[:, 2].min():.4f}-{measured[:, 2].max():.4f} over all "
    f"phases, analytic {energy.min():.4f}-{energy.max():.4f}"
)
