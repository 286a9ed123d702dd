"""A motif report: one self-contained HTML page that opens offline.

:func:`write_motif_report` writes the page of ``seqnet motifs``: the run's facts and
test metrics (with its ROC / PR curves), then each motif of the main set with its logo
above the logo of its JASPAR match (aligned, the strand and offset said in words), the
direction and size of its influence and how many sequences of each class carry it,
then the TF-MoDISco patterns, the motifs left out of the main set and why, and where
the time went.  All labels are HTML text beside the images, never text inside them.
:func:`write_report` is the plain version: one table of ranked motifs with their logos.

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

__all__ = ["write_report", "write_motif_report", "jaspar_url", "REPORT_COLUMNS"]

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
table.cards td { vertical-align: top; padding: 10px 8px; border-bottom: 1px solid #d5dbe1; }
table.cards td.pic img { display: block; max-width: 640px; width: auto; height: auto; }
table.cards .name { font-size: 1.1em; font-weight: 700; }
table.cards .id { color: #555; }
table.cards .caption { color: #333; font-size: 0.85em; margin-top: 4px; }
table.cards td.sites { min-width: 190px; }
table.cards td.built { max-width: 180px; }
.wrap { word-break: break-all; }
.up { color: #146c2e; font-weight: 700; }
.down { color: #a4262c; font-weight: 700; }
.bar { display: inline-block; height: 8px; background: #7a8ea3; vertical-align: middle; margin-left: 6px; }
img.curves { max-width: 820px; width: 100%; height: auto; }
details { margin: 12px 0; }
summary { cursor: pointer; font-weight: 600; }
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


def jaspar_url(match_id) -> str | None:
    """The JASPAR page of a matrix id such as ``MA0139.2`` (None for other ids)."""
    if match_id is None or _is_missing(match_id) or not _JASPAR_ID.match(str(match_id)):
        return None
    return _JASPAR_URL.format(match_id)


def _img(data: bytes | str | os.PathLike, alt: str, cls: str = "") -> str:
    """An embedded PNG (bytes or a file)."""
    import base64

    uri = ("data:image/png;base64," + base64.b64encode(data).decode("ascii")) if isinstance(data, bytes) \
        else png_data_uri(data)
    return f'<img{f" class={chr(34)}{cls}{chr(34)}" if cls else ""} src="{uri}" alt="{html.escape(alt)}">'


def _metrics_section(metrics: Mapping | None, curves) -> list[str]:
    """The model's held-out metrics and its ROC / PR curves."""
    out = ["<h2>The model</h2>"]
    if metrics and isinstance(metrics.get("auroc"), Mapping):
        head = ["output", "AUROC", "AUPRC"]
        rows = [(k, metrics["auroc"].get(k), (metrics.get("auprc") or {}).get(k)) for k in metrics["auroc"]]
        out.append(f'<p class="summary">Test metrics from the run ({html.escape(str(metrics.get("split", "test")))} '
                   f'split, n = {html.escape(str(metrics.get("n", "?")))}):</p>')
        out.append('<table class="meta"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
        for name, a, b in rows:
            cells = "".join(f"<td>{'-' if _is_missing(v) else f'{float(v):.4f}'}</td>" for v in (a, b))
            out.append(f"<tr><td>{html.escape(str(name))}</td>{cells}</tr>")
        out.append("</table>")
    elif metrics:
        out.append(f'<p class="summary">Run metrics: {html.escape(_meta_value(metrics))}</p>')
    else:
        out.append('<p class="summary">The run has no metrics.json.</p>')
    if curves:
        png, where = curves
        out.append(f'<p class="summary">ROC and precision-recall curves on the {html.escape(where)}:</p>')
        out.append(_img(png, "ROC and precision-recall curves", "curves"))
    return out


def _alignment_caption(row: Mapping) -> str:
    """'MA0142.1 Pou5f1::Sox2, q = 1.4e-10: reverse strand, offset 2' in words."""
    mid, name, q = row.get("best_match_id"), row.get("best_match_name"), row.get("q")
    if _is_missing(mid):
        return "no database match"
    url = jaspar_url(mid)
    label = html.escape(f"{mid} {name}")
    label = f'<a href="{html.escape(url)}">{label}</a>' if url else label
    strand = "match reverse complemented" if row.get("strand") == "-" else "same strand"
    off = row.get("offset")
    if _is_missing(off):
        where = ""
    elif int(off) <= 0:
        where = f", the match starts under the motif's column {1 - int(off)}"
    else:
        where = f", the motif starts under the match's column {int(off) + 1}"
    verdict = "" if _is_missing(q) or float(q) < 0.05 else " (not significant)"
    return f"below: {label}, q = {float(q):.2g}{verdict}; {strand}{where}"


def _direction_cell(row: Mapping, scale: float) -> str:
    """Direction in words and colour, influence value and a bar for its size."""
    text = str(row.get("direction") or "-")
    cls = "down" if text.startswith("lowers") or (row.get("_negative") is True) else "up"
    infl = row.get("influence")
    if _is_missing(infl):
        size = html.escape(str(row.get("influence_by_output") or ""))
        return f'<span class="{cls}">{html.escape(text)}</span><div class="caption">{size}</div>'
    width = int(round(120 * abs(float(infl)) / scale)) if scale > 0 else 0
    by = html.escape(str(row.get("influence_by_output") or ""))
    return (f'<span class="{cls}">{html.escape(text)}</span><div>influence {float(infl):+.3g}'
            f'<span class="bar" style="width:{width}px"></span></div><div class="caption">{by}</div>')


def _cards(cands: list, figures: dict, logos_key: str) -> list[str]:
    """One row per motif: names, logos, direction, enrichment, counts."""
    rows = [c.row for c in cands]
    scale = max([abs(float(r["influence"])) for r in rows if not _is_missing(r.get("influence"))] or [0.0])
    out = ['<div class="scroll"><table class="cards"><thead><tr><th>#</th><th>Motif</th>'
           '<th>Logo (top) and its database match (below)</th><th>Direction and influence</th>'
           '<th>Sequences carrying a site</th><th>Built from</th></tr></thead><tbody>']
    for k, c in enumerate(cands, start=1):
        r = dict(c.row)
        infl = r.get("influence")
        r["_negative"] = c.sign == "-" or (not _is_missing(infl) and float(infl) < 0)
        pic = figures.get("matches", {}).get(c.motif.name)
        logo = _img(pic, f"logo of {c.motif.name} above its match") if pic is not None else (
            _img(figures[logos_key][c.motif.name], f"logo of {c.motif.name}") if c.motif.name in figures.get(logos_key, {})
            else f'<span class="missing">{_MISSING}</span>')
        enrich = r.get("site_enrichment")
        ratio = "" if _is_missing(enrich) else f"<div>{float(enrich):.1f}x more often where it pushes</div>"
        n_filters = len(str(r.get("filters") or "").split(","))
        built = (f"{r['nsites']} sites of {n_filters} filter{'s' if n_filters != 1 else ''}"
                 f'<div class="caption wrap">{html.escape(str(r["filters"]))}</div>' if c.method == "filters"
                 else f"{r['seqlets']} TF-MoDISco seqlets")
        with_site = "<br>".join(html.escape(part) for part in str(r.get("sequences_with_site") or "-").split("; "))
        out.append(
            f'<tr><td class="num">{k}</td>'
            f'<td><div class="name">{html.escape(str(r.get("name")))}</div><div class="id">{html.escape(c.motif.name)} '
            f'({html.escape(c.method)})</div><div class="seq">{html.escape(str(r["consensus"]))}</div>'
            f'<div class="caption">{float(r["information_content"]):.1f} bits</div></td>'
            f'<td class="pic">{logo}<div class="caption">top: {html.escape(c.motif.name)}; '
            f'{_alignment_caption(r)}</div></td>'
            f"<td>{_direction_cell(r, scale)}</td>"
            f'<td class="sites">{with_site}{ratio}</td>'
            f'<td class="built">{built}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out


def _other_table(other: list) -> list[str]:
    """The motifs left out of the main set, without logos, in a folded section."""
    if not other:
        return []
    out = [f"<details><summary>{len(other)} other motifs (other_motifs.tsv): redundant, weak or beyond the main "
           "set</summary>", '<table class="motifs"><thead><tr><th>Motif</th><th>Method</th><th>Name</th>'
           "<th>Consensus</th><th>Direction</th><th>Influence</th><th>Reason</th></tr></thead><tbody>"]
    for c in other:
        r = c.row
        cells = [c.motif.name, c.method, r.get("name"), r.get("consensus"), r.get("direction")]
        out.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in cells)
                   + f'<td class="num">{_fmt("influence", r.get("influence"))[0]}</td>'
                   + f"<td>{html.escape(str(c.reason))}</td></tr>")
    out.append("</tbody></table></details>")
    return out


def _timing_table(timings: pd.DataFrame | None) -> list[str]:
    if timings is None or not len(timings):
        return []
    out = ["<details><summary>Where the time went</summary>", '<table class="meta">',
           "<tr><th>step</th><th>seconds</th><th>share</th></tr>"]
    for r in timings.itertuples(index=False):
        out.append(f"<tr><td>{html.escape(str(r.step))}</td><td>{r.seconds:.1f}</td><td>{100 * r.share:.0f}%</td></tr>")
    out.append(f"<tr><th>total</th><th>{timings.seconds.sum():.1f}</th><th></th></tr></table></details>")
    return out


def write_motif_report(
    path: str | os.PathLike,
    main: list,
    other: list,
    patterns: list,
    figures: Mapping,
    *,
    title: str,
    meta: Mapping[str, object] | None = None,
    timings: pd.DataFrame | None = None,
    metrics: Mapping | None = None,
) -> None:
    """Write the ``seqnet motifs`` page.

    Parameters
    ----------
    path : str or os.PathLike
        Output ``.html``; written atomically.
    main, other, patterns : list of seqnet.motifs.tables.Candidate
        The main set (ranked), the motifs left out (``reason`` set) and the TF-MoDISco
        patterns (in either).
    figures : mapping
        ``"logos"`` and ``"pattern_logos"`` (motif name -> PNG path), ``"matches"``
        (motif name -> PNG bytes of the motif above its match) and ``"curves"``
        (``(png bytes, where)`` or None).
    title : str
        Page title.
    meta : mapping or None, optional
        Facts shown at the top. Default is None.
    timings : pandas.DataFrame or None, optional
        ``step, seconds, share``. Default is None.
    metrics : mapping or None, optional
        The run's ``metrics.json``. Default is None.
    """
    from seqnet import __version__

    out = _page_head(str(title))
    out += _meta_table(meta)
    out += _metrics_section(metrics, figures.get("curves"))
    out.append("<h2>Motifs</h2>")
    out.append(f'<p class="summary">{len(main)} motif{"s" if len(main) != 1 else ""}, one per thing the model '
               "learned, ranked by the size of their influence (filter motifs) then by seqlets (TF-MoDISco). "
               "Influence: the mean change of the predicted probability when the motif's filters are switched off "
               "(positive: the motif raises it). Sequences carrying a site: a log-odds scan of the motif, threshold "
               "beaten by 1% of dinucleotide-shuffled sequences.</p>")
    out += _cards(main, figures, "logos") if main else ["<p>No motifs to show.</p>"]
    out.append("<h2>TF-MoDISco patterns</h2>")
    if patterns:
        out.append('<p class="summary">Seqlets of DeepLIFT/SHAP maps clustered by modisco-lite; a pattern of '
                   "positive seqlets raises the explained output, one of negative seqlets lowers it. Files: "
                   "modisco/patterns.meme (.jaspar, .transfac, .homer), patterns.tsv, seqlets.tsv.</p>")
        out += _cards(patterns, figures, "pattern_logos")
        dup = [c for c in patterns if c.reason]
        if dup:
            out.append('<p class="legend">' + html.escape("; ".join(f"{c.motif.name}: {c.reason}" for c in dup))
                       + "</p>")
    else:
        out.append('<p class="summary">None (not run, or no pattern found; see the facts above).</p>')
    out += _other_table(other)
    out += _timing_table(timings)
    out.append(f"<footer>Written by seqnet {html.escape(__version__)}.</footer>")
    out += ["</body>", "</html>"]
    write_text_atomic(Path(path), "\n".join(out) + "\n")
