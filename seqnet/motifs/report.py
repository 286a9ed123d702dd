"""A motif report: one self-contained HTML page that opens offline.

The page holds a small table of run facts ("meta"), then the motifs in the order the
caller ranked them, each row with its logo embedded as a base64 PNG data URI. It needs
no other file, no JavaScript and no network: a Content-Security-Policy forbids any
load beyond the inline style and the embedded images, so the page looks the same
mailed, archived or opened on a cluster node. Links to JASPAR matrix pages are plain
``<a>`` links the reader may follow.
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError
from seqnet.motifs.logos import png_data_uri
from seqnet.outputs import write_text_atomic

__all__ = ["write_report", "REPORT_COLUMNS"]

# The columns the table shows, in order, with their headings; other columns of
# ``rows`` follow them.
REPORT_COLUMNS = {
    "motif": "Motif",
    "consensus": "Consensus",
    "nsites": "Sites",
    "information_content": "IC (bits)",
    "best_match_id": "Best match",
    "best_match_name": "TF",
    "p": "p",
    "q": "q",
    "strand": "Strand",
    "influence": "Influence",
}
# JASPAR matrix ids (MA0139.2, PB0001.1, UN0123.1, ...) get a link to their page.
_JASPAR_ID = re.compile(r"^[A-Z]{2}\d{4}\.\d+$")
_JASPAR_URL = "https://jaspar.elixir.no/matrix/{}/"
_MISSING = "-"

_CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2125;
       margin: 24px auto; max-width: 1400px; padding: 0 16px; line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0 0 12px; }
h2 { font-size: 1.15em; margin: 24px 0 8px; }
table { border-collapse: collapse; }
table.meta td, table.meta th { padding: 2px 12px 2px 0; text-align: left; vertical-align: top;
       font-size: 0.9em; }
table.meta th { color: #555; font-weight: 600; white-space: nowrap; }
table.meta td { word-break: break-all; }
table.motifs { width: 100%; font-size: 0.9em; }
table.motifs th { background: #eef1f4; text-align: left; padding: 6px 6px;
       border-bottom: 2px solid #c8cfd6; position: sticky; top: 0; white-space: nowrap; }
table.motifs td { padding: 4px 6px; border-bottom: 1px solid #e3e7eb; vertical-align: middle; }
table.motifs th.num { text-align: right; }
table.motifs td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.motifs td.seq { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
       white-space: nowrap; }
.scroll { overflow-x: auto; }
table.motifs td.logo img { display: block; height: 80px; width: auto; max-width: 360px; }
table.motifs tr.sig td { background: #e7f6e9; }
table.motifs tr.sig td.q { font-weight: 700; color: #146c2e; }
td.strand { font-weight: 700; text-align: center; }
.missing { color: #9aa3ab; }
.summary, .legend { color: #444; font-size: 0.9em; }
footer { margin-top: 24px; color: #777; font-size: 0.8em; }
a { color: #0b5cad; }
"""


def _is_missing(value) -> bool:
    """None, NaN, NA and NaT; containers and other objects are never missing."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # pd.isna of a list is an array
        return False


def _fmt(column, value) -> tuple[str, str]:
    """``(escaped text, css class)`` of one cell."""
    column = str(column)
    if _is_missing(value):
        return f'<span class="missing">{_MISSING}</span>', ""
    if isinstance(value, bool):
        return html.escape(str(value)), ""
    if isinstance(value, numbers.Number):
        x = float(value)
        if not math.isfinite(x):
            return html.escape(str(x)), "num"
        if column in ("p", "q") or column.endswith(("_p", "_q", "pvalue", "qvalue")):
            text = f"{x:.2e}"
        elif column == "nsites" or (isinstance(value, numbers.Integral)):
            text = f"{int(round(x)):d}"
        elif column == "information_content":
            text = f"{x:.2f}"
        else:
            text = f"{x:.3g}"
        return html.escape(text), "num"
    return html.escape(str(value)), ""


def _meta_value(value) -> str:
    if _is_missing(value):
        return _MISSING
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_report(
    path: str | os.PathLike,
    rows: pd.DataFrame,
    logos: Mapping[str, str | os.PathLike],
    *,
    title: str,
    meta: Mapping[str, object] | None = None,
    q_threshold: float = 0.05,
) -> None:
    """Write a self-contained HTML report of ranked motifs.

    Parameters
    ----------
    path : str or os.PathLike
        Output ``.html`` file; written atomically.
    rows : pandas.DataFrame
        One row per motif, shown in the given order (rank 1 first). Must have a
        ``motif`` column; the columns of :data:`REPORT_COLUMNS` (``consensus``,
        ``nsites``, ``information_content``, ``best_match_id``, ``best_match_name``,
        ``p``, ``q``, ``strand``, ``influence``) are shown in that order when present,
        then any other columns. Missing values (NaN, None) show as ``-``.
    logos : mapping of str to path
        Motif name -> logo PNG (e.g. from :func:`seqnet.motifs.logos.draw_logos`);
        each is embedded as a data URI. A motif without a logo shows ``-``.
    title : str
        Page title and heading.
    meta : mapping or None, optional
        Run facts shown above the table (run, input file, model, date, options...),
        in the given order; lists and dicts are joined with commas. Default is None.
    q_threshold : float, optional
        Rows with ``q`` below this are highlighted as significant matches. Default is
        0.05.

    Notes
    -----
    All text is HTML-escaped (motif names like ``Pou5f1::Sox2`` or ``<script>`` are
    shown literally). p and q values are printed in scientific notation, information
    content with 2 decimals, other numbers with 3 significant digits. Best-match ids
    that look like JASPAR matrix ids link to their JASPAR page.

    Raises
    ------
    ConfigError
        When ``rows`` is not a DataFrame with a ``motif`` column.
    InputError
        When a logo file is missing or not a PNG.
    """
    if not isinstance(rows, pd.DataFrame) or "motif" not in rows.columns:
        raise ConfigError("report rows must be a pandas DataFrame with a 'motif' column")
    if not (0.0 < q_threshold <= 1.0):
        raise ConfigError(f"q_threshold must be in (0, 1], got {q_threshold}")
    from seqnet import __version__

    columns = [c for c in REPORT_COLUMNS if c in rows.columns]
    columns += [c for c in rows.columns if c not in REPORT_COLUMNS]
    logo_paths = {str(name): p for name, p in logos.items()}
    significant = _significant(rows, q_threshold)

    out = _page_head(str(title))
    out += _meta_table(meta)
    out += _summary(rows, significant, q_threshold)
    if len(rows) == 0:
        out.append("<p>No motifs to show.</p>")
    else:
        out += _motif_table(rows, columns, logo_paths, significant)
        out.append(_legend(rows))
    out.append(f"<footer>Written by seqnet {html.escape(__version__)}.</footer>")
    out += ["</body>", "</html>"]
    write_text_atomic(Path(path), "\n".join(out) + "\n")


def _page_head(title: str) -> list[str]:
    """Lines from the doctype to the page heading."""
    esc = html.escape
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Nothing may load from anywhere: the page is complete as it is.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
    ]


def _meta_table(meta: Mapping[str, object] | None) -> list[str]:
    """The run-facts table, one row per item; no lines without facts."""
    if not meta:
        return []
    out = ['<table class="meta">']
    for key, value in meta.items():
        out.append(f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(_meta_value(value))}</td></tr>")
    out.append("</table>")
    return out


def _significant(rows: pd.DataFrame, q_threshold: float) -> np.ndarray:
    """``(R,)`` bool: the row's ``q`` is below the threshold (all False without a ``q`` column)."""
    if "q" in rows.columns:
        return (pd.to_numeric(rows["q"], errors="coerce") < q_threshold).to_numpy()
    return np.zeros(len(rows), dtype=bool)


def _summary(rows: pd.DataFrame, significant: np.ndarray, q_threshold: float) -> list[str]:
    """The section heading and the motif count (and significant ones, with a ``q`` column)."""
    return [
        "<h2>Motifs</h2>",
        f'<p class="summary">{len(rows)} motif{"s" if len(rows) != 1 else ""}'
        + (f", {int(significant.sum())} with a significant match (q &lt; {q_threshold:g}, highlighted)"
           if "q" in rows.columns else "")
        + ".</p>",
    ]


def _motif_table(
    rows: pd.DataFrame, columns: list, logo_paths: Mapping[str, str | os.PathLike], significant: np.ndarray
) -> list[str]:
    """The motif table: rank, logo, then ``columns``; significant rows highlighted."""
    # Long consensus strings do not wrap; a narrow window scrolls the table instead.
    out = ['<div class="scroll"><table class="motifs">']
    # Numbers (and the "-" of their missing values) line up on the right.
    numeric = {c for c in columns if c != "motif" and pd.api.types.is_numeric_dtype(rows[c])}
    heads = [("#", True), ("Logo", False)] + [(REPORT_COLUMNS.get(c, str(c)), c in numeric) for c in columns]
    esc = html.escape
    out.append(
        "<thead><tr>"
        + "".join(f'<th class="num">{esc(h)}</th>' if num else f"<th>{esc(h)}</th>" for h, num in heads)
        + "</tr></thead>"
    )
    out.append("<tbody>")
    for rank, (record, sig) in enumerate(zip(rows.itertuples(index=False), significant), start=1):
        values = dict(zip(rows.columns, record))
        cells = [f'<td class="num">{rank}</td>', _logo_cell(values["motif"], logo_paths)]
        cells += [_cell(column, values[column], column in numeric) for column in columns]
        row_class = ' class="sig"' if sig else ""
        out.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return out


def _logo_cell(name, logo_paths: Mapping[str, str | os.PathLike]) -> str:
    """The logo of motif ``name`` as an embedded image, or ``-`` when it has none."""
    # Only the logos of shown motifs are read (and must exist).
    logo_path = None if _is_missing(name) else logo_paths.get(str(name))
    uri = None if logo_path is None else png_data_uri(logo_path)
    logo = (
        f'<img src="{uri}" alt="logo of {html.escape(str(name))}">'
        if uri
        else f'<span class="missing">{_MISSING}</span>'
    )
    return f'<td class="logo">{logo}</td>'


def _cell(column, value, numeric: bool) -> str:
    """One ``<td>`` of a motif row, with the column's css class and link or sign."""
    text, cls = _fmt(column, value)
    if column == "best_match_id" and not _is_missing(value):
        match_id = str(value)
        if _JASPAR_ID.match(match_id):
            text = f'<a href="{html.escape(_JASPAR_URL.format(match_id))}">{text}</a>'
    if numeric:
        cls = "num"
    if column == "consensus":
        cls = "seq"
    if column == "strand":
        cls = "strand"
        if value in ("+", "-"):
            # A typographic minus, bold: a hyphen would read as a missing value.
            text = "+" if value == "+" else "\u2212"
    if column == "q":
        cls = f"{cls} q".strip()
    return f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>"


def _legend(rows: pd.DataFrame) -> str:
    """What the logo and the significance and influence columns mean."""
    legend = ["Logos: information content in bits."]
    if "p" in rows.columns or "q" in rows.columns:
        legend.append("p, q: significance of the best database match (q: false discovery rate).")
    if "influence" in rows.columns:
        legend.append("Influence: effect of the motif on the model's output.")
    return f'<p class="legend">{html.escape(" ".join(legend))}</p>'
