"""What ``seqnet summarize`` does: one table over many runs, and an index page.

For each named run it reads

* the run's ``config.yaml`` (model, seed),
* its metrics: an ``evaluate --out`` JSON on an external test set, or else the run's own
  ``metrics.json`` (the held-out test split of the training data; the ``test_set`` column
  says which),
* optionally its ``seqnet motifs`` directory: the top motifs of ``matches.tsv`` (its
  ranked main set), one per transcription factor, each with its best database match
  and the direction of its influence ("raises P(oct4)"), and ``report.html``,

and writes a TSV with one row per run and, optionally, a self-contained ``index.html``
that links each run's motif report by a relative link.
"""

from __future__ import annotations

import contextlib

import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from seqnet.errors import ConfigError, InputError, opt
from seqnet.outputs import claim, write_text_atomic

__all__ = ["SUMMARY_COLUMNS", "parse_named", "summarize", "summary_table", "write_index"]

#: Columns of the summary TSV, in order.
SUMMARY_COLUMNS = [
    "sample", "model", "seed", "test_set", "n", "auroc", "auprc", "baseline", "baseline_auroc", "model_vs_baseline",
    "motifs", "significant_motifs", "top_motifs", "report",
]
#: Columns ``matches.tsv`` must have for the summary.
_MATCH_COLUMNS = ["motif", "consensus", "best_match_id", "best_match_name", "q", "influence"]


def parse_named(values: Sequence[str], option: str) -> dict[str, Path]:
    """Parse repeated ``NAME=PATH`` option values into an ordered dict.

    Raises
    ------
    ConfigError
        For a value without ``=``, an empty name or path, or a name given twice.
    """
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise ConfigError(f"{option} {value!r}: expected NAME=PATH")
        if name in out:
            raise ConfigError(f"{option}: name {name!r} is given twice")
        out[name] = Path(path)
    return out


def _read_json(path: Path, what: str) -> dict:
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected {what}")
    try:
        obj = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); expected {what}") from None
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a JSON object ({what})")
    return obj


def _metrics(path: Path) -> dict:
    """n, mean AUROC / AUPRC and the test set of a metrics JSON."""
    what = "metrics JSON as seqnet train (metrics.json) or seqnet evaluate --out writes"
    obj = _read_json(path, what)
    if "pearson" in obj and "auroc" not in obj:
        raise InputError(f"{path}: a regression run (Pearson / MSE, no AUROC); the summary covers classification runs")
    try:
        auroc, auprc = obj["auroc"]["mean"], obj["auprc"]["mean"]
        n, split = int(obj["n"]), obj.get("split", "")
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{path}: no 'n', 'auroc.mean' or 'auprc.mean'; expected {what}") from None
    return {
        # seqnet train writes its held-out split as "test"; seqnet evaluate scores "all" it is given.
        "test_set": "train split" if split == "test" else "external",
        "n": n,
        "auroc": None if auroc is None else float(auroc),
        "auprc": None if auprc is None else float(auprc),
    }


def _baseline_facts(path: Path) -> dict:
    """The best baseline of a run's ``metrics.json`` (its held-out test split) and how far
    the model is above it there; None when the run kept no baselines."""
    none = {"baseline": None, "baseline_auroc": None, "model_vs_baseline": None}
    if not path.is_file():
        return none
    obj = _read_json(path, "metrics.json of a seqnet train run")
    scored = {name: b.get("auroc", {}).get("mean") for name, b in (obj.get("baselines") or {}).items()}
    scored = {k: v for k, v in scored.items() if v is not None}
    model = (obj.get("auroc") or {}).get("mean")
    if not scored or model is None:
        return none
    best = max(scored, key=scored.get)
    return {"baseline": best, "baseline_auroc": float(scored[best]), "model_vs_baseline": float(model - scored[best])}


def _run_facts(run: Path) -> dict:
    import yaml

    cfg_path = run / "config.yaml"
    if not run.is_dir():
        raise InputError(f"{run}: no such run directory; expected the --out directory of seqnet train")
    if not cfg_path.is_file():
        raise InputError(f"{cfg_path}: no such file; expected the config.yaml of a seqnet train run")
    try:
        cfg = yaml.safe_load(cfg_path.read_text())
    except yaml.YAMLError:
        raise InputError(f"{cfg_path}: not valid YAML; expected the config.yaml of a seqnet train run") from None
    if not isinstance(cfg, dict):
        raise InputError(f"{cfg_path}: expected a mapping (the config.yaml of a seqnet train run)")
    return {"model": cfg.get("model"), "seed": cfg.get("seed")}


def _motif_facts(folder: Path, top: int, max_q: float) -> dict:
    """Motif counts and the ``top`` motifs by influence from ``folder/matches.tsv``."""
    path = folder / "matches.tsv"
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected the matches.tsv of a seqnet motifs --out directory")
    try:
        table = pd.read_csv(path, sep="\t", keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as a TSV table ({str(exc).strip()})") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file; expected the matches.tsv of seqnet motifs") from None
    missing = [c for c in _MATCH_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: missing columns {', '.join(missing)}; expected the matches.tsv of seqnet motifs "
            f"({', '.join(_MATCH_COLUMNS)}, ...)"
        )
    q = pd.to_numeric(table["q"], errors="coerce")
    significant = q < max_q
    shown = _top_motifs(table, top, max_q)
    report = folder / "report.html"
    return {
        "motifs": len(table),
        "significant_motifs": int(significant.sum()),
        "top_motifs": "; ".join(shown),
        "_report": report if report.is_file() else None,
    }


def _top_motifs(table: pd.DataFrame, top: int, max_q: float) -> list[str]:
    """The first ``top`` motifs naming distinct factors, with their direction.

    A ``matches.tsv`` with a ``direction`` column is ranked already (seqnet motifs' main
    set); an older one is ranked here by influence.  Motifs whose significant best match
    names a factor listed before are skipped, so the list reads as distinct TFs.
    """
    if "direction" not in table.columns:
        influence = pd.to_numeric(table["influence"], errors="coerce")
        table = table.assign(_i=influence).sort_values("_i", ascending=False, na_position="last", kind="stable")
    shown, seen = [], set()
    for r in table.itertuples():
        if len(shown) >= top:
            break
        qv = pd.to_numeric(r.q, errors="coerce")
        named = not pd.isna(qv) and qv < max_q
        if named and str(r.best_match_name).upper() in seen:
            continue
        text = f"{r.best_match_name} ({r.best_match_id}, q={qv:.2g})" if named else \
            f"{r.consensus} (no match at q<{max_q:g})"
        direction = getattr(r, "direction", None)
        if isinstance(direction, str) and direction:
            text += f" {direction}"
        if named:
            seen.add(str(r.best_match_name).upper())
        shown.append(text)
    return shown


def _int_or_none(value):
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def summary_table(
    runs: Mapping[str, Path],
    *,
    metrics: Mapping[str, Path] | None = None,
    motifs: Mapping[str, Path] | None = None,
    top: int = 3,
    max_q: float = 0.05,
) -> pd.DataFrame:
    """One row per run: model, seed, test metrics and top motifs.

    Parameters
    ----------
    runs : mapping of str to Path
        Sample name -> ``seqnet train`` run directory.
    metrics : mapping of str to Path or None
        Sample name -> ``seqnet evaluate --out`` JSON.  Samples without one report the
        run's own ``metrics.json`` (its held-out test split).
    motifs : mapping of str to Path or None
        Sample name -> ``seqnet motifs --out`` directory.
    top : int
        Motifs listed per sample: the first of ``matches.tsv`` naming distinct factors,
        with their direction. Default is 3.
    max_q : float
        A motif is named after its best match when ``q < max_q``. Default is 0.05.

    Returns
    -------
    pandas.DataFrame
        :data:`SUMMARY_COLUMNS`; ``report`` holds the report path (None without one);
        ``baseline`` is the run's best baseline on its own test split, with its AUROC and
        the model's AUROC minus it there (``model_vs_baseline``).
    """
    metrics, motifs = dict(metrics or {}), dict(motifs or {})
    if not runs:
        raise ConfigError(f"give at least one {opt('runs')} NAME=RUN_DIR")
    if top < 0:
        raise ConfigError(f"{opt('top')} must be >= 0, got {top}")
    if not 0 < max_q <= 1:
        raise ConfigError(f"{opt('max_q')} must be in (0, 1], got {max_q}")
    for option, named in (("metrics", metrics), ("motifs", motifs)):
        unknown = [n for n in named if n not in runs]
        if unknown:
            raise ConfigError(f"{opt(option)} {unknown[0]}=...: no {opt('runs')} named {unknown[0]!r} (runs: {', '.join(runs)})")
    rows = []
    for name, run in runs.items():
        run = Path(run)
        row = {"sample": name, **_run_facts(run)}
        row.update(_metrics(Path(metrics[name]) if name in metrics else run / "metrics.json"))
        row.update(_baseline_facts(run / "metrics.json"))  # model vs baseline on the run's own test split
        if name in motifs:
            facts = _motif_facts(Path(motifs[name]), top, max_q)
            row.update({k: v for k, v in facts.items() if not k.startswith("_")})
            row["report"] = facts["_report"]
        else:
            row.update({"motifs": None, "significant_motifs": None, "top_motifs": None, "report": None})
        rows.append(row)
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for column in ("seed", "n", "motifs", "significant_motifs"):
        table[column] = pd.array([_int_or_none(v) for v in table[column]], dtype="Int64")
    return table


def _relative(path: Path | None, start: Path) -> str | None:
    if path is None:
        return None
    return Path(os.path.relpath(Path(path).resolve(), start.resolve())).as_posix()


_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2125;
       margin: 24px auto; max-width: 1400px; padding: 0 16px; line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0 0 12px; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.note { color: #555; font-size: 0.9em; }
"""


def _num(value, digits: int = 4) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def write_index(table: pd.DataFrame, path: str | Path, *, tsv: str | Path | None = None,
                title: str = "seqnet summary") -> None:
    """Write a self-contained HTML page with the summary table, linking each report.

    Links are relative to the page's folder, so the results folder can be moved or
    served as a whole.
    """
    path = Path(path)
    here = path.parent
    head = ["Sample", "Model", "Seed", "Test set", "n", "AUROC", "AUPRC", "Significant / motifs", "Top motifs"]
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if tsv is not None:
        lines.append(f'<p>Table as TSV: <a href="{html.escape(_relative(Path(tsv), here))}">'
                     f"{html.escape(Path(tsv).name)}</a></p>")
    lines.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>")
    for r in table.itertuples(index=False):
        link = _relative(r.report, here) if r.report is not None else None
        sample = html.escape(str(r.sample))
        sample = f'<a href="{html.escape(link)}">{sample}</a>' if link else sample
        counts = "-" if pd.isna(r.motifs) else f"{int(r.significant_motifs)} / {int(r.motifs)}"
        top = "-" if not isinstance(r.top_motifs, str) or not r.top_motifs else \
            "<br>".join(html.escape(t) for t in r.top_motifs.split("; "))
        cells = [sample, html.escape(_num(r.model)), html.escape(_num(r.seed)), html.escape(str(r.test_set)),
                 _num(r.n), _num(r.auroc), _num(r.auprc), counts, top]
        classes = ["", "", "num", "", "num", "num", "num", "num", ""]
        lines.append("<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>"
                                      for c, v in zip(classes, cells)) + "</tr>")
    lines.append("</tbody></table>")
    lines.append(
        '<p class="note">Test set "external": the sample\'s own test sequences scored by seqnet evaluate; '
        '"train split": the held-out test split of the training data (the run\'s metrics.json). '
        "Top motifs: the first motifs of each sample's main set that name distinct factors, ranked by the size of "
        "their influence, with the class or task they push towards; each is named after its best database match "
        "when that match is significant.</p>"
    )
    lines.append("</body></html>")
    write_text_atomic(path, "\n".join(lines) + "\n")


def summarize(
    runs: Mapping[str, Path],
    out: str | Path,
    *,
    metrics: Mapping[str, Path] | None = None,
    motifs: Mapping[str, Path] | None = None,
    html_out: str | Path | None = None,
    top: int = 3,
    max_q: float = 0.05,
    title: str = "seqnet summary",
) -> pd.DataFrame:
    """Build :func:`summary_table`, write it as TSV (report paths relative to it) and the index page.

    Returns
    -------
    pandas.DataFrame
        The table as written to ``out``.
    """
    if html_out is not None and Path(html_out).resolve() == Path(out).resolve():
        raise ConfigError(f"{opt('out')} and {opt('html_out')} name the same file: {out}")
    sources = {f"{kind}:{name}": path for kind, named in (("runs", runs), ("metrics", metrics or {}),
                                                          ("motifs", motifs or {})) for name, path in named.items()}
    with claim(out, sources), (claim(html_out, sources, param="html_out") if html_out else contextlib.nullcontext()):
        table = summary_table(runs, metrics=metrics, motifs=motifs, top=top, max_q=max_q)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        written = table.assign(report=[_relative(p, out.parent) for p in table.report])
        text = written.to_csv(sep="\t", index=False, float_format="%.4f", na_rep="")
        write_text_atomic(out, text)
        if html_out is not None:
            write_index(table, html_out, tsv=out, title=title)
    return written
