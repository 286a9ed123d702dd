"""Sequence logos of motifs and of per-base attribution maps (logomaker).

Every figure is a :class:`matplotlib.figure.Figure` drawn by the Agg canvas directly,
never through :mod:`matplotlib.pyplot`: no global figure state, no display needed,
nothing to leak when many logos are drawn in one process. Images are rendered to
memory and then written atomically, so a crash never leaves a truncated PNG.

Output bytes are deterministic for the same input and library versions (no dates in
the files, a fixed SVG id salt), so workflow engines do not see spurious changes.
"""

from __future__ import annotations

import base64
import io
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.motif import Motif
from seqnet.outputs import write_bytes_atomic

__all__ = [
    "information_matrix",
    "draw_logo",
    "draw_logos",
    "draw_match_logo",
    "draw_attribution",
    "png_data_uri",
    "safe_name",
]

# Figure geometry, in inches: width grows with the number of positions, up to a cap
# beyond which letters get narrower instead (a 20 kb attribution map still renders).
_LOGO_HEIGHT = 1.9
_LOGO_INCH_PER_POS = 0.38
_ATTR_HEIGHT = 2.2
_ATTR_INCH_PER_POS = 0.16
_MAX_WIDTH = 40.0
# Sequence letters are written under the x axis up to this length; beyond it they
# would overlap, so plain position ticks are used.
_MAX_LETTER_TICKS = 120
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _color_scheme(alphabet: str) -> str:
    # logomaker's 'classic' covers A C G T/U; 'chemistry' colours amino acids by class.
    return "classic" if set(alphabet) <= set("ACGTU") else "chemistry"


def information_matrix(motif: Motif, background: Sequence[float] | None = None) -> pd.DataFrame:
    """Letter heights of an information-content logo.

    Parameters
    ----------
    motif : Motif
        The motif.
    background : sequence of float or None, optional
        Letter frequencies in alphabet order. Default is None, uniform.

    Returns
    -------
    pandas.DataFrame, shape=(W, A)
        ``p * IC`` per position and letter, in bits, ``IC`` being the position's
        information content (:meth:`Motif.information_content`); columns are the
        alphabet's letters, the index the 1-based positions (named ``position``).
        Rows sum to the position's information content.
    """
    pfm = motif.pfm / motif.pfm.sum(axis=1, keepdims=True)
    ic = motif.information_content(background)
    # A skewed background can give a position a (tiny) negative relative entropy only
    # through rounding; heights below zero would draw upside-down letters.
    heights = pfm * np.clip(ic, 0.0, None)[:, None]
    index = pd.RangeIndex(1, motif.width + 1, name="position")
    return pd.DataFrame(heights, index=index, columns=list(motif.alphabet))


def _new_figure(width: float, height: float, dpi: int):
    """A pyplot-free figure with an Agg canvas, and its single axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def _render(fig, fmt: str, dpi: int) -> bytes:
    """The figure as PNG or SVG bytes, without dates (reproducible files)."""
    import matplotlib

    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "seqnet", "svg.fonttype": "path"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def _plain(text: str) -> str:
    """``text`` shown literally: matplotlib would read ``$...$`` as math."""
    return str(text).replace("$", r"\$")


def _check_dpi(dpi: int) -> int:
    if int(dpi) != dpi or not 10 <= dpi <= 1200:
        raise ConfigError(f"dpi must be an integer from 10 to 1200, got {dpi!r}")
    return int(dpi)


def draw_logo(
    motif: Motif,
    path_png: str | os.PathLike,
    *,
    path_svg: str | os.PathLike | None = None,
    background: Sequence[float] | None = None,
    title: str | None = None,
    dpi: int = 100,
) -> None:
    """Draw a motif's information-content logo.

    Parameters
    ----------
    motif : Motif
        The motif (DNA, RNA or protein).
    path_png : str or os.PathLike
        PNG output; written atomically.
    path_svg : str or os.PathLike or None, optional
        Also write the logo as SVG (vector, letters as paths). Default is None.
    background : sequence of float or None, optional
        Letter frequencies for the information content. Default is None, uniform.
    title : str or None, optional
        Figure title. Default is None: the motif's name, then its alt name in
        parentheses. ``""`` draws no title.
    dpi : int, optional
        PNG resolution; the figure is 1.9 inches high. Default is 100.

    Notes
    -----
    The y axis is in bits, from 0 to ``log2(A)`` (2 for DNA) or higher when a skewed
    background lets a position carry more; letters are stacked big on top with
    logomaker's classic colours (A green, C blue, G orange, T/U red).
    """
    import logomaker

    dpi = _check_dpi(dpi)
    heights = information_matrix(motif, background)
    if title is None:
        title = f"{motif.name} ({motif.alt_name})" if motif.alt_name else motif.name
    width = min(_MAX_WIDTH, max(2.6, 0.9 + _LOGO_INCH_PER_POS * motif.width))
    fig, ax = _new_figure(width, _LOGO_HEIGHT, dpi)
    try:
        with warnings.catch_warnings():
            # A motif without information has no letters; logomaker then warns about
            # its empty y range before the range is set below.
            warnings.filterwarnings("ignore", message="Attempting to set identical", category=UserWarning)
            logomaker.Logo(heights, ax=ax, color_scheme=_color_scheme(motif.alphabet), font_name="DejaVu Sans")
        top = max(np.log2(len(motif.alphabet)), float(heights.to_numpy().sum(axis=1).max()))
        ax.set_ylim(0.0, top)
        ax.set_xlim(0.5, motif.width + 0.5)
        ax.set_ylabel("bits")
        ax.set_yticks(np.arange(0.0, top + 1e-9, 1.0))
        if motif.width <= 40:
            ax.set_xticks(range(1, motif.width + 1))
        ax.tick_params(labelsize=9, length=2)
        ax.spines[["top", "right"]].set_visible(False)
        if title:
            ax.set_title(_plain(title), fontsize=10)
        fig.tight_layout(pad=0.3)
        png = _render(fig, "png", dpi)
        svg = _render(fig, "svg", dpi) if path_svg is not None else None
    finally:
        fig.clear()
    write_bytes_atomic(path_png, png)
    if svg is not None:
        write_bytes_atomic(path_svg, svg)


def safe_name(name: str) -> str:
    """``name`` with every character outside ``[A-Za-z0-9_.-]`` replaced by ``_``.

    Leading dots are replaced too, so no name gives a hidden file or ``..``.
    """
    safe = _UNSAFE.sub("_", str(name))
    return re.sub(r"^\.", "_", safe) or "_"


def draw_logos(
    motifs: Sequence[Motif],
    out_dir: str | os.PathLike,
    *,
    background: Sequence[float] | None = None,
    svg: bool = True,
    titles: bool = True,
) -> dict[str, Path]:
    """Draw one logo per motif into ``out_dir/logos/``.

    Parameters
    ----------
    motifs : sequence of Motif
        Motifs with distinct names.
    out_dir : str or os.PathLike
        Output folder; the ``logos`` sub-folder is created.
    background : sequence of float or None, optional
        Letter frequencies for the information content. Default is None, uniform.
    svg : bool, optional
        Also write an SVG beside each PNG. Default is True.
    titles : bool, optional
        Title each logo with the motif's name; False leaves labels to the page that
        shows the logos (text inside a scaled-down image is unreadable). Default is True.

    Returns
    -------
    dict of str to Path
        Motif name -> PNG path, ``out_dir/logos/<safe name>.png`` with
        :func:`safe_name` (``"Pou5f1::Sox2"`` -> ``"Pou5f1__Sox2.png"``); the SVG, if
        any, has the same stem. When two names map to the same file (also ignoring
        case, for macOS and Windows disks) the later ones get ``_2``, ``_3``, ...

    Raises
    ------
    ConfigError
        For two motifs with the same name.
    """
    motifs = list(motifs)
    names = [m.name for m in motifs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"motif names must be distinct to name their logos; repeated: {', '.join(dupes)}")
    folder = Path(out_dir) / "logos"
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    paths: dict[str, Path] = {}
    for m in motifs:
        stem = base = safe_name(m.name)
        k = 1
        while stem.lower() in taken:
            k += 1
            stem = f"{base}_{k}"
        taken.add(stem.lower())
        png = folder / f"{stem}.png"
        draw_logo(m, png, path_svg=folder / f"{stem}.svg" if svg else None, background=background,
                  title=None if titles else "")
        paths[m.name] = png
    return paths


def draw_match_logo(
    motif: Motif,
    target: Motif,
    offset: int,
    strand: str,
    *,
    background: Sequence[float] | None = None,
    dpi: int = 100,
) -> bytes:
    """A motif's logo above the logo of its database match, aligned as TOMTOM aligned them.

    Parameters
    ----------
    motif : Motif
        The query motif (top row, positions 1..W).
    target : Motif
        Its match (bottom row), reverse complemented for ``strand`` ``"-"``.
    offset : int
        TOMTOM's offset: the target column (of the reverse-complemented target for
        ``"-"``) aligned with the query's first column.
    strand : str
        ``"+"`` or ``"-"``.
    background : sequence of float or None, optional
        Letter frequencies for the query's information content (the target's is
        against a uniform background, as JASPAR draws it). Default is None, uniform.
    dpi : int, optional
        Resolution. Default is 100.

    Returns
    -------
    bytes
        The PNG; no titles (the page says which motif and match these are).
    """
    import logomaker

    dpi = _check_dpi(dpi)
    shown = target.reverse_complement() if strand == "-" else target
    query = information_matrix(motif, background)
    match = information_matrix(shown)
    match.index = np.arange(shown.width) - int(offset) + 1
    lo, hi = min(1, int(match.index.min())), max(motif.width, int(match.index.max()))
    width = min(_MAX_WIDTH, max(2.6, 0.9 + _LOGO_INCH_PER_POS * (hi - lo + 1)))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, 2 * _LOGO_HEIGHT - 0.3), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True)
    try:
        for ax, heights, letters in ((axes[0], query, motif.alphabet), (axes[1], match, shown.alphabet)):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Attempting to set identical", category=UserWarning)
                logomaker.Logo(heights, ax=ax, color_scheme=_color_scheme(letters), font_name="DejaVu Sans")
            top = max(np.log2(len(letters)), float(heights.to_numpy().sum(axis=1).max()))
            ax.set_ylim(0.0, top)
            ax.set_ylabel("bits")
            ax.set_yticks(np.arange(0.0, top + 1e-9, 1.0))
            ax.tick_params(labelsize=9, length=2)
            ax.spines[["top", "right"]].set_visible(False)
        axes[1].set_xlim(lo - 0.5, hi + 0.5)
        from matplotlib.ticker import MaxNLocator

        axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout(pad=0.3)
        return _render(fig, "png", dpi)
    finally:
        fig.clear()


def draw_attribution(
    scores: np.ndarray,
    sequence: str,
    path_png: str | os.PathLike,
    *,
    title: str | None = None,
    dpi: int = 100,
) -> None:
    """Draw per-base attribution scores as a logo (saliency, in-silico mutagenesis).

    Parameters
    ----------
    scores : numpy.ndarray, shape=(L, 4)
        Score per position and letter (A C G T, or A C G U when ``sequence`` holds a
        U). Each letter's height is its score: positive scores stack above the axis
        (biggest on top), negative ones below it (biggest at the bottom, faded). For a
        saliency map pass ``gradient * one_hot`` so only the observed bases show; an
        in-silico mutagenesis map may fill all four columns.
    sequence : str
        The sequence of length ``L``; its letters label the x axis when ``L`` is at
        most 120.
    path_png : str or os.PathLike
        PNG output; written atomically.
    title : str or None, optional
        Figure title. Default is None, no title.
    dpi : int, optional
        Resolution. Default is 100.

    Notes
    -----
    The figure is 0.16 inch per position wide, capped at 40 inches: longer sequences
    still render, with narrower letters. Letters are laid out with numpy and drawn as
    one path collection rather than through logomaker, whose per-letter objects take
    milliseconds each (a 1 kb map would take seconds).

    Raises
    ------
    InputError
        For scores that are not a finite ``(L, 4)`` array matching the sequence.
    """
    dpi = _check_dpi(dpi)
    arr = np.asarray(scores, dtype=np.float64)
    sequence = str(sequence).upper()
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] < 1:
        hint = " (channels-first (4, L)? pass scores.T)" if arr.ndim == 2 and arr.shape[0] == 4 else ""
        raise InputError(f"attribution scores have shape {arr.shape}, expected (L, 4){hint}")
    if arr.shape[0] != len(sequence):
        raise InputError(f"attribution scores cover {arr.shape[0]} positions but the sequence has {len(sequence)}")
    if not np.all(np.isfinite(arr)):
        raise InputError("attribution scores hold NaN or infinite values")
    letters = "ACGU" if "U" in sequence else "ACGT"
    length = arr.shape[0]
    width = min(_MAX_WIDTH, max(4.0, 1.0 + _ATTR_INCH_PER_POS * length))
    fig, ax = _new_figure(width, _ATTR_HEIGHT, dpi)
    try:
        ax.add_collection(_glyph_collection(arr, letters))
        lo = float(np.minimum(arr, 0.0).sum(axis=1).min())
        hi = float(np.maximum(arr, 0.0).sum(axis=1).max())
        pad = 0.05 * (hi - lo) or 1.0
        ax.set_ylim(lo - (pad if lo < 0 else 0.0), hi + pad)
        ax.set_xlim(0.5, length + 0.5)
        ax.axhline(0.0, color="0.3", linewidth=0.6)
        if length <= _MAX_LETTER_TICKS:
            ax.set_xticks(range(1, length + 1))
            ax.set_xticklabels(list(sequence), fontsize=6, family="monospace")
            ax.tick_params(axis="x", length=0)
        ax.tick_params(labelsize=7)
        ax.set_ylabel("attribution")
        ax.spines[["top", "right"]].set_visible(False)
        if title:
            ax.set_title(_plain(title), fontsize=9)
        fig.tight_layout(pad=0.3)
        png = _render(fig, "png", dpi)
    finally:
        fig.clear()
    write_bytes_atomic(path_png, png)


# logomaker's 'classic' colours.
_CLASSIC = {
    "A": (0.0, 0.5, 0.0), "C": (0.0, 0.0, 1.0), "G": (1.0, 0.65, 0.0), "T": (1.0, 0.0, 0.0), "U": (1.0, 0.0, 0.0),
}  # fmt: skip
_GLYPH_WIDTH = 0.95  # of one position, as logomaker


def _unit_glyph(letter: str):
    """Vertices of a bold letter scaled into the unit square, and its path codes."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    box = path.get_extents()
    verts = (path.vertices - [box.xmin, box.ymin]) / [box.width, box.height]
    return verts, path.codes


def _glyph_collection(values: np.ndarray, letters: str):
    """A PathCollection of stacked letters, one per non-zero cell of ``values`` (L, A).

    Positive cells stack upward from 0 with the biggest on top; negative cells stack
    downward with the biggest at the bottom (logomaker's 'big_on_top' order). Each
    glyph is its own path, so Agg never meets one huge path.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path as MplPath

    length = values.shape[0]
    bottoms = np.zeros_like(values)
    for sign in (1.0, -1.0):
        mag = np.where(sign * values > 0, np.abs(values), 0.0)
        order = np.argsort(mag, axis=1, kind="stable")  # smallest magnitude nearest the axis
        stacked = np.take_along_axis(mag, order, axis=1)
        start = np.cumsum(stacked, axis=1) - stacked  # distance from the axis
        dist = np.empty_like(start)
        np.put_along_axis(dist, order, start, axis=1)
        bottoms = np.where(sign * values > 0, dist if sign > 0 else -dist - mag, bottoms)
    paths, colors = [], []
    xs = np.arange(1, length + 1) - _GLYPH_WIDTH / 2
    for j, letter in enumerate(letters):
        cells = np.flatnonzero(values[:, j] != 0)
        if cells.size == 0:
            continue
        verts, codes = _unit_glyph(letter)
        scale = np.stack([np.full(cells.size, _GLYPH_WIDTH), np.abs(values[cells, j])], axis=1)
        offset = np.stack([xs[cells], bottoms[cells, j]], axis=1)
        placed = verts[None, :, :] * scale[:, None, :] + offset[:, None, :]
        paths.extend(MplPath(v, codes) for v in placed)
        rgb = _CLASSIC[letter]
        colors.extend((*rgb, 1.0) if v > 0 else (*rgb, 0.45) for v in values[cells, j])
    return PathCollection(paths, facecolors=colors, edgecolors="none", linewidths=0.0)


def png_data_uri(path: str | os.PathLike) -> str:
    """A PNG file as a ``data:image/png;base64,...`` URI, for embedding in HTML.

    Raises
    ------
    InputError
        For a missing file or one that is not a PNG.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such PNG file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read PNG file ({exc})") from None
    if not data.startswith(_PNG_MAGIC):
        raise InputError(f"{path}: not a PNG file (no PNG signature)")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
