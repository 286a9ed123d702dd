"""``report.html`` of a training run: one self-contained page (figures embedded as data URIs,
no script, no network) to read a run at a glance.

Sections: the run (inputs, model, recipe), warnings, the data (counts per class and split,
lengths and GC content for sequences), the test metrics of the model beside its baselines
(and the confound checks), then the figures (training curves, ROC / PR curves, confusion
matrix).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

import pandas as pd

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2125;
       margin: 24px auto; max-width: 1200px; padding: 0 16px; line-height: 1.45; }
h1 { font-size: 1.5em; margin: 0 0 12px; } h2 { font-size: 1.15em; margin: 28px 0 8px; }
table { border-collapse: collapse; font-size: 0.9em; margin-bottom: 8px; }
th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid #e3e7eb; }
th { background: #eef1f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.model td { font-weight: 700; }
.warn { background: #fff4e5; border-left: 4px solid #f0a030; padding: 6px 10px; margin: 4px 0; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.muted { color: #777; font-size: 0.85em; }
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _esc(value) -> str:
    return html.escape(str(value))


def _num(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() and abs(value) >= 2 else f"{value:.4f}"
    return _esc(value)


#: How the report names the confound checks.
CHECK_WORDS = {"gc_auroc": "GC content alone separates the test classes at AUROC",
               "shuffle_auroc": "the model scores test positives against their own dinucleotide shuffles at AUROC"}


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(f'<td class="num">{_num(v)}</td>' if isinstance(v, (int, float)) else f"<td>{_esc(v)}</td>"
                        for v in row)
        rows.append(f'<tr class="{"model" if str(row.iloc[0]) == "model" else ""}">{cells}</tr>')
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def metric_rows(metrics: dict) -> pd.DataFrame:
    """The model's and each baseline's headline metrics, one row each."""
    keys = ["pearson", "spearman", "mse"] if "pearson" in metrics else ["auroc", "auprc"]
    extra = [k for k in ("accuracy", "macro_f1") if k in metrics]
    rows = [{"": "model", **{f"mean {k}": metrics[k]["mean"] for k in keys}, **{k: metrics[k] for k in extra}}]
    for name, b in (metrics.get("baselines") or {}).items():
        rows.append({"": f"baseline {name}", **{f"mean {k}": b[k]["mean"] for k in keys},
                     **{k: b.get(k) for k in extra}})
    return pd.DataFrame(rows)


def task_rows(metrics: dict) -> pd.DataFrame:
    """Per task (or class): the model's headline metric and each baseline's."""
    key = "pearson" if "pearson" in metrics else "auroc"
    names = [n for n in metrics[key] if n != "mean"]
    frame = pd.DataFrame({"task": names, f"model {key}": [metrics[key][n] for n in names]})
    for name, b in (metrics.get("baselines") or {}).items():
        frame[f"{name} {key}"] = [b[key].get(n) for n in names]
    return frame


def _image(title: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f"<h3>{_esc(title)}</h3><img alt=\"{_esc(title)}\" src=\"data:image/png;base64,{data}\">"


def render(*, title: str, facts: Mapping[str, object], warnings: list[str], data_summary: pd.DataFrame | None,
           metrics: dict, figures: Mapping[str, bytes]) -> str:
    """The page's HTML.

    Parameters
    ----------
    title : str
    facts : mapping
        Run facts shown first (inputs, model, recipe, seed, ...).
    warnings : list of str
        The run's ``warning:`` lines.
    data_summary : pandas.DataFrame or None
        Counts per split and class (and more per kind).
    metrics : dict
        ``metrics.json`` (with ``baselines`` and ``checks`` when present).
    figures : mapping of str to bytes
        Title -> PNG.
    """
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">"
             f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><h1>{_esc(title)}</h1>"]
    parts.append("<table>" + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in facts.items())
                 + "</table>")
    if warnings:
        parts.append("<h2>Warnings</h2>" + "".join(f'<div class="warn">{_esc(w)}</div>' for w in warnings))
    if data_summary is not None and len(data_summary):
        parts.append("<h2>Data</h2>" + _table(data_summary))
    parts.append(f"<h2>Test metrics (n = {_esc(metrics.get('n'))})</h2>")
    if metrics.get("n"):
        parts.append(_table(metric_rows(metrics)) + _table(task_rows(metrics)))
        if metrics.get("baselines"):
            params = ", ".join(f"{k}: {v.get('param')}" for k, v in metrics["baselines"].items())
            parts.append(f'<p class="muted">Baselines are fitted on the training split, their one setting chosen '
                         f'on the validation split ({_esc(params)}), and scored on the same test split.</p>')
        for key, value in (metrics.get("checks") or {}).items():
            parts.append(f"<p>Check: {_esc(CHECK_WORDS.get(key, key))} {_num(value)}.</p>")
    else:
        parts.append("<p>No test split.</p>")
    if figures:
        parts.append("<h2>Figures</h2>" + "".join(_image(t, png) for t, png in figures.items()))
    parts.append("</body></html>\n")
    return "".join(parts)
