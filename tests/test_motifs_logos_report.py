"""Tests of seqnet.motifs.logos (logos, attribution maps) and seqnet.motifs.report."""

from __future__ import annotations

import base64
import html.parser
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.logos import (
    draw_attribution,
    draw_logo,
    draw_logos,
    information_matrix,
    png_data_uri,
    safe_name,
)
from seqnet.motifs.motif import Motif
from seqnet.motifs.report import write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM = Path("/usr/bin/chromium")


def _toy(name="toy", alt_name="TOY", alphabet="ACGT"):
    pfm = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0], [0.25] * 4, [0.1, 0.2, 0.3, 0.4]])
    return Motif(name, pfm, nsites=10, alt_name=alt_name, alphabet=alphabet)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob(".*") if p.name.endswith(".tmp")]


def _pyplot_figures() -> list:
    import matplotlib.pyplot as plt

    return plt.get_fignums()


# -- logos ----------------------------------------------------------------------------


def test_information_matrix():
    m = _toy()
    df = information_matrix(m)
    assert list(df.columns) == list("ACGT")
    assert list(df.index) == [1, 2, 3, 4] and df.index.name == "position"
    np.testing.assert_allclose(df.to_numpy().sum(axis=1), m.information_content())
    np.testing.assert_allclose(df.loc[1].to_numpy(), [2.0, 0, 0, 0])
    np.testing.assert_allclose(df.loc[2].to_numpy(), [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(df.loc[3].to_numpy(), 0.0)
    skewed = information_matrix(m, background=[0.4, 0.1, 0.1, 0.4])
    assert skewed.loc[3].sum() > 0
    assert list(information_matrix(_toy(alphabet="ACGU")).columns) == list("ACGU")


def test_draw_logo_png_svg_deterministic(tmp_path):
    m = _toy(alt_name="Pou5f1::Sox2")
    draw_logo(m, tmp_path / "a.png", path_svg=tmp_path / "a.svg", title="$x$ <b>")
    draw_logo(m, tmp_path / "b.png", path_svg=tmp_path / "b.svg", title="$x$ <b>")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    svg = (tmp_path / "a.svg").read_text()
    assert "<svg" in svg and "<dc:date>" not in svg
    # Width grows with the motif; height is fixed; dpi scales both.
    wide = Motif("wide", np.tile(np.eye(4), (4, 1)), nsites=5)
    draw_logo(wide, tmp_path / "wide.png", dpi=50, title="")
    (w_small, h_small), (w_wide, h_wide) = _png_size(tmp_path / "a.png"), _png_size(tmp_path / "wide.png")
    assert h_small == 190 and h_wide == 95  # 1.9 inches at 100 and 50 dpi
    assert w_wide > w_small / 2  # 16 positions at half the resolution of 4
    assert _no_temp_files(tmp_path)
    assert _pyplot_figures() == []  # no pyplot global state
    with pytest.raises(ConfigError, match="dpi"):
        draw_logo(m, tmp_path / "c.png", dpi=0)


def test_draw_logo_rna_protein_width1(tmp_path):
    draw_logo(_toy(alphabet="ACGU"), tmp_path / "rna.png")
    rng = np.random.default_rng(0)
    protein = Motif("prot", rng.dirichlet(np.full(20, 0.2), size=5), alphabet="ACDEFGHIKLMNPQRSTVWY")
    draw_logo(protein, tmp_path / "prot.png")
    draw_logo(Motif("one", np.array([[0.0, 0.0, 1.0, 0.0]])), tmp_path / "one.png")
    draw_logo(Motif("flat", np.full((3, 4), 0.25)), tmp_path / "flat.png")  # no letters at all
    for name in ("rna", "prot", "one", "flat"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def test_safe_name():
    assert safe_name("Pou5f1::Sox2") == "Pou5f1__Sox2"
    assert safe_name("MA0139.2") == "MA0139.2"
    assert safe_name("a/b c<d>") == "a_b_c_d_"
    assert safe_name("..") == "_."


def test_draw_logos(tmp_path):
    motifs = [_toy("MA0142.1"), _toy("Pou5f1::Sox2"), _toy("Pou5f1__Sox2"), _toy("pou5f1__sox2")]
    paths = draw_logos(motifs, tmp_path)
    assert list(paths) == [m.name for m in motifs]
    assert [p.name for p in paths.values()] == [
        "MA0142.1.png", "Pou5f1__Sox2.png", "Pou5f1__Sox2_2.png", "pou5f1__sox2_3.png",
    ]
    for p in paths.values():
        assert p.parent == tmp_path / "logos"
        assert p.read_bytes().startswith(PNG_MAGIC)
        assert p.with_suffix(".svg").is_file()
    only_png = draw_logos(motifs[:1], tmp_path / "b", svg=False)
    assert not list((tmp_path / "b" / "logos").glob("*.svg")) and only_png["MA0142.1"].is_file()
    with pytest.raises(ConfigError, match="repeated: x"):
        draw_logos([_toy("x"), _toy("x")], tmp_path / "c")
    assert draw_logos([], tmp_path / "d") == {}


# -- attribution ----------------------------------------------------------------------


def _colour_fraction(path: Path, rgb) -> float:
    import matplotlib.image

    img = matplotlib.image.imread(path)[..., :3]
    return float(np.mean(np.all(np.abs(img - np.array(rgb)) < 0.05, axis=-1)))


def test_draw_attribution(tmp_path):
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 40))
    one_hot = (np.array(list(seq))[:, None] == np.array(list("ACGT"))[None, :]).astype(float)
    scores = rng.normal(size=(40, 4)) * one_hot
    draw_attribution(scores, seq, tmp_path / "sal.png", title="saliency")
    assert _png_size(tmp_path / "sal.png")[1] == 220
    # Only positive A scores: green letters, no red (T) or blue (C) ones.
    only_a = np.zeros((40, 4))
    only_a[:, 0] = 1.0
    draw_attribution(only_a, seq, tmp_path / "a.png")
    assert _colour_fraction(tmp_path / "a.png", (0.0, 0.5, 0.0)) > 0.05
    assert _colour_fraction(tmp_path / "a.png", (1.0, 0.0, 0.0)) == 0.0
    # Negative scores are drawn (faded) below the axis: an ISM map, all columns.
    draw_attribution(rng.normal(size=(40, 4)), seq.replace("T", "U"), tmp_path / "ism.png", dpi=50)
    assert _no_temp_files(tmp_path) and _pyplot_figures() == []


def test_draw_attribution_long_sequence_is_fast_and_capped(tmp_path):
    rng = np.random.default_rng(1)
    length = 3000
    seq = "".join(rng.choice(list("ACGT"), length))
    start = time.perf_counter()
    draw_attribution(rng.normal(size=(length, 4)), seq, tmp_path / "long.png", dpi=25)
    assert time.perf_counter() - start < 10  # logomaker itself would need ~40 s
    assert _png_size(tmp_path / "long.png")[0] == 40 * 25  # width capped at 40 inches


@pytest.mark.parametrize(
    "scores, seq, message",
    [
        (np.zeros((4, 10)), "A" * 10, r"pass scores\.T"),
        (np.zeros((10,)), "A" * 10, "expected"),
        (np.zeros((9, 4)), "A" * 10, "9 positions"),
        (np.full((10, 4), np.nan), "A" * 10, "NaN"),
    ],
)
def test_draw_attribution_errors(tmp_path, scores, seq, message):
    with pytest.raises(InputError, match=message):
        draw_attribution(scores, seq, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_png_data_uri(tmp_path):
    draw_logo(_toy(), tmp_path / "a.png")
    uri = png_data_uri(tmp_path / "a.png")
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == (tmp_path / "a.png").read_bytes()
    (tmp_path / "fake.png").write_text("not a png")
    with pytest.raises(InputError, match="not a PNG"):
        png_data_uri(tmp_path / "fake.png")
    with pytest.raises(InputError, match="no such"):
        png_data_uri(tmp_path / "absent.png")


# -- report ---------------------------------------------------------------------------


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    motifs = [
        _toy("filter_3", None),
        _toy("<script>alert(1)</script>", None),
        _toy("Pou5f1::Sox2", None),
        Motif("filter_7", np.tile([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]], (4, 1)), nsites=33),
    ]
    logos = draw_logos(motifs, folder, svg=False)
    rows = pd.DataFrame(
        {
            "motif": [m.name for m in motifs],
            "consensus": [m.consensus() for m in motifs],
            "nsites": [10, 10, np.nan, 33],
            "information_content": [m.information_content().sum() for m in motifs],
            "best_match_id": ["MA0139.2", None, "MA0142.1", "not/a&jaspar"],
            "best_match_name": ["CTCF", None, "Pou5f1::Sox2", "A&B"],
            "p": [1.234e-7, np.nan, 0.003, 0.2],
            "q": [2.5e-6, np.nan, 0.049, 0.6],
            "strand": ["+", None, "-", "+"],
            "influence": [0.12345, -0.5, np.nan, 0.0],
        }
    )
    return folder, rows, logos


def _write(folder, rows, logos, **kwargs) -> tuple[str, _Collector]:
    path = folder / "report.html"
    write_report(path, rows, logos, title=kwargs.pop("title", "Motifs <of> run"), **kwargs)
    text = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return text, parser


def test_report_structure(report_inputs):
    folder, rows, logos = report_inputs
    meta = {"run": "runs/ctcf", "input file": "data/ctcf.fa", "model": "deepbind",
            "date": "2026-01-02", "options": {"epochs": 3, "seed": 1}}
    text, parser = _write(folder, rows, logos, meta=meta)
    assert parser.open == []  # every tag closed
    imgs = [a for t, a in parser.tags if t == "img"]
    assert len(imgs) == len(rows)
    for img, name in zip(imgs, rows["motif"]):
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1]) == logos[name].read_bytes()
    # Escaped names: shown literally, never as markup.
    assert "<script" not in text.lower().replace("&lt;script", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not [t for t, _ in parser.tags if t == "script"]
    joined = "".join(parser.text)
    assert "<script>alert(1)</script>" in joined and "Pou5f1::Sox2" in joined and "A&B" in joined
    assert "Motifs <of> run" in joined
    # No external resources: only <a> links to JASPAR matrix pages.
    for tag, attrs in parser.tags:
        for key, value in attrs.items():
            if value and "http" in value and key in ("src", "href", "srcset", "data", "action"):
                assert tag == "a" and value.startswith("https://jaspar.elixir.no/matrix/"), (tag, value)
    links = [a["href"] for t, a in parser.tags if t == "a"]
    assert links == ["https://jaspar.elixir.no/matrix/MA0139.2/", "https://jaspar.elixir.no/matrix/MA0142.1/"]
    assert "url(" not in text and "@import" not in text
    # Meta table.
    assert "input file" in joined and "data/ctcf.fa" in joined and "epochs=3, seed=1" in joined


def test_report_rows_order_formats_and_highlight(report_inputs):
    folder, rows, logos = report_inputs
    text, parser = _write(folder, rows, logos)
    body_rows = [a.get("class") for t, a in parser.tags if t == "tr"][1:]  # skip the header row
    assert body_rows == ["sig", None, "sig", None]  # q < 0.05: rows 1 and 3
    # Rows in the given order.
    positions = [text.index(f"logo of {name}") for name in ["filter_3", "&lt;script&gt;", "Pou5f1::Sox2", "filter_7"]]
    assert positions == sorted(positions)
    joined = "|".join(s.strip() for s in parser.text if s.strip())
    assert "1.23e-07" in joined and "2.50e-06" in joined and "4.90e-02" in joined
    assert "|0.123|" in joined and "|-0.5|" in joined and "|33|" in joined
    assert f"|{rows['information_content'][3]:.2f}|" in joined
    # NaN and None show as "-": p, q, nsites, strand, influence, best match of row 2.
    assert joined.split("|").count("-") == 7
    assert joined.split("|").count("\u2212") == 1  # the minus strand is not a missing value
    assert "nan" not in joined.lower().replace("nanog", "") and "None" not in joined
    # Reversed order in, reversed order out; a missing logo shows "-".
    rev = rows.iloc[::-1].reset_index(drop=True)
    text2, parser2 = _write(folder, rev, {k: v for k, v in logos.items() if k != "filter_7"})
    assert len([t for t, _ in parser2.tags if t == "img"]) == 3
    assert text2.index("filter_7") < text2.index("logo of filter_3")


def test_report_minimal_and_errors(report_inputs, tmp_path):
    folder, rows, logos = report_inputs
    text, parser = _write(tmp_path, rows[["motif"]], logos, title="only names")
    assert len([t for t, _ in parser.tags if t == "img"]) == len(rows)
    assert "Influence" not in text and "p, q:" not in text
    # Extra columns follow, whatever their names; unused logos are not read.
    extra = rows[["motif"]].assign(**{"hits": [1, 2, 3, 4]}).rename(columns={"hits": 7})
    text, parser = _write(tmp_path, extra, {**logos, "unused": tmp_path / "absent.png"}, title="extra")
    assert "<th class=\"num\">7</th>" in text
    text, parser = _write(tmp_path, rows.iloc[:0], {}, title="empty")
    assert "No motifs" in text and parser.open == []
    with pytest.raises(ConfigError, match="'motif' column"):
        write_report(tmp_path / "x.html", rows.drop(columns="motif"), logos, title="t")
    with pytest.raises(InputError, match="no such PNG"):
        write_report(tmp_path / "x.html", rows, {"filter_3": tmp_path / "absent.png"}, title="t")
    assert not (tmp_path / "x.html").exists() and _no_temp_files(tmp_path)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_report_renders_in_headless_chromium(report_inputs, tmp_path):
    folder, rows, logos = report_inputs
    _write(tmp_path, rows, logos, meta={"run": "test"})
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         f"--screenshot={shot}", "--window-size=1200,900", (tmp_path / "report.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    assert shot.read_bytes().startswith(PNG_MAGIC)
    shutil.rmtree(profile, ignore_errors=True)
