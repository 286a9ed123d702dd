"""Position frequency matrices and JASPAR look-up.

A :class:`Motif` is a position frequency matrix (PFM): per position, the probability of
each letter.  It is the one motif type the rest of seqnet passes around: filters turned
into motifs, motifs read from MEME files, JASPAR profiles and the truth motifs of a
simulated data set.

:func:`motifs_from_jaspar` reads profiles from the JASPAR SQLite databases that
`pyjaspar` ships, so it works offline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqnet.errors import ConfigError, InputError

__all__ = ["Motif", "motifs_from_jaspar"]

# Rows of a PFM read from a file are printed with a few decimals, so they sum to 1 only
# approximately; anything further off is counts or garbage, not probabilities.
ROW_SUM_TOLERANCE = 0.01

_COMPLEMENTS = {"ACGT": "TGCA", "ACGU": "UGCA"}


@dataclass(eq=False, repr=False)
class Motif:
    """A position frequency matrix.

    Parameters
    ----------
    name : str
        Identifier without white space, e.g. ``"MA0139.2"`` or ``"filter_12"``.
    pfm : numpy.ndarray, shape=(W, A)
        Letter probabilities per position, columns in ``alphabet`` order; every row sums
        to 1 (within 0.01; values are kept as given so files round-trip exactly).
        Stored as C-contiguous float64.
    nsites : int, optional
        Number of sites behind the matrix (MEME's ``nsites``). Default is 20, MEME's
        own default.
    alt_name : str or None, optional
        Second name, e.g. the TF name ``"CTCF"``. Default is None.
    alphabet : str, optional
        The letters of the matrix columns. Default is ``"ACGT"``.

    Raises
    ------
    InputError
        When the matrix is not a non-empty ``(W, len(alphabet))`` array of finite,
        non-negative rows summing to 1, or a name holds white space.
    """

    name: str
    pfm: np.ndarray
    nsites: int = 20
    alt_name: str | None = None
    alphabet: str = "ACGT"

    def __post_init__(self) -> None:
        self.name = str(self.name)
        if not self.name or re.search(r"\s", self.name):
            raise InputError(f"motif name {self.name!r} must be non-empty without white space")
        if self.alt_name is not None:
            self.alt_name = str(self.alt_name)
            if not self.alt_name or re.search(r"\s", self.alt_name):
                raise InputError(
                    f"motif {self.name}: alt_name {self.alt_name!r} must be non-empty "
                    "without white space"
                )
        if len(set(self.alphabet)) != len(self.alphabet) or not self.alphabet:
            raise InputError(f"motif {self.name}: alphabet {self.alphabet!r} has repeated letters")
        pfm = np.ascontiguousarray(self.pfm, dtype=np.float64)
        if pfm.ndim != 2 or pfm.shape[0] < 1 or pfm.shape[1] != len(self.alphabet):
            raise InputError(
                f"motif {self.name}: pfm has shape {pfm.shape}, expected (W, {len(self.alphabet)}) "
                f"with W >= 1 for alphabet {self.alphabet}"
            )
        if not np.all(np.isfinite(pfm)) or np.any(pfm < 0):
            raise InputError(f"motif {self.name}: pfm holds negative or non-finite values")
        sums = pfm.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOLERANCE)
        if bad.size:
            raise InputError(
                f"motif {self.name}: row {bad[0] + 1} of the pfm sums to {sums[bad[0]]:.4g}, "
                "expected letter probabilities summing to 1"
            )
        # + 0.0 turns -0.0 into 0.0, which would otherwise print as "-0.000000".
        self.pfm = pfm + 0.0
        if int(self.nsites) != self.nsites or self.nsites < 0:
            raise InputError(f"motif {self.name}: nsites must be a non-negative integer, got {self.nsites!r}")
        self.nsites = int(self.nsites)

    # -- basic properties -------------------------------------------------------------

    @property
    def width(self) -> int:
        """Number of positions ``W``."""
        return self.pfm.shape[0]

    def __len__(self) -> int:
        return self.width

    def __repr__(self) -> str:
        alt = f", alt_name={self.alt_name!r}" if self.alt_name else ""
        return (
            f"Motif(name={self.name!r}{alt}, width={self.width}, nsites={self.nsites}, "
            f"consensus={self.consensus()!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Motif):
            return NotImplemented
        return (
            self.name == other.name
            and self.alt_name == other.alt_name
            and self.nsites == other.nsites
            and self.alphabet == other.alphabet
            and np.array_equal(self.pfm, other.pfm)
        )

    __hash__ = None  # mutable, compared by value

    # -- derived views ----------------------------------------------------------------

    def consensus(self) -> str:
        """Most probable letter at each position (ties go to the earlier letter).

        Returns
        -------
        str
            A string of length ``W``.
        """
        return "".join(self.alphabet[i] for i in self.pfm.argmax(axis=1))

    def information_content(self, background: Sequence[float] | None = None) -> np.ndarray:
        """Information content per position in bits (relative entropy to the background).

        Parameters
        ----------
        background : sequence of float or None, optional
            Letter frequencies in ``alphabet`` order, normalised here. Default is None,
            a uniform background (then the maximum is ``log2(A)``, 2 bits for DNA).

        Returns
        -------
        numpy.ndarray, shape=(W,)
            ``sum_a p_a log2(p_a / b_a)`` per position; letters with ``p_a = 0`` add 0.
        """
        bg = _background(background, len(self.alphabet))
        p = self.pfm
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log2(p / bg), 0.0)
        return terms.sum(axis=1)

    def reverse_complement(self) -> Motif:
        """The motif as read on the other strand.

        Returns
        -------
        Motif
            Same name, alt_name, nsites and alphabet; rows reversed and letter columns
            swapped with their complements.

        Raises
        ------
        ConfigError
            For an alphabet without complement (protein).
        """
        comp = _COMPLEMENTS.get(self.alphabet)
        if comp is None:
            raise ConfigError(f"motif {self.name}: alphabet {self.alphabet} has no reverse complement")
        order = [self.alphabet.index(c) for c in comp]
        return Motif(
            self.name,
            self.pfm[::-1, order],
            nsites=self.nsites,
            alt_name=self.alt_name,
            alphabet=self.alphabet,
        )

    @classmethod
    def from_counts(
        cls,
        counts: np.ndarray,
        name: str,
        *,
        pseudocount: float = 0.0,
        alt_name: str | None = None,
        alphabet: str = "ACGT",
    ) -> Motif:
        """Build a motif from a letter count matrix.

        Parameters
        ----------
        counts : numpy.ndarray, shape=(W, A)
            Letter counts per position (JASPAR matrices, site alignments).
        name : str
            Motif identifier.
        pseudocount : float, optional
            Added to every cell before normalising, so unseen letters keep a small
            probability. Default is 0.0 (the observed frequencies).
        alt_name : str or None, optional
            Second name, e.g. the TF. Default is None.
        alphabet : str, optional
            Column letters. Default is ``"ACGT"``.

        Returns
        -------
        Motif
            With ``nsites`` the largest row sum of ``counts`` (before pseudocounts),
            rounded; JASPAR rows usually all hold the same total.

        Raises
        ------
        InputError
            For negative counts, a bad shape or a row with no counts at all.
        """
        arr = np.asarray(counts, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != len(alphabet):
            raise InputError(
                f"motif {name}: counts have shape {arr.shape}, expected (W, {len(alphabet)})"
            )
        if pseudocount < 0 or not np.isfinite(pseudocount):
            raise ConfigError(f"pseudocount must be finite and >= 0, got {pseudocount}")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise InputError(f"motif {name}: counts hold negative or non-finite values")
        nsites = int(round(float(arr.sum(axis=1).max())))
        arr = arr + pseudocount
        sums = arr.sum(axis=1, keepdims=True)
        if np.any(sums <= 0):
            row = int(np.flatnonzero(sums[:, 0] <= 0)[0]) + 1
            raise InputError(f"motif {name}: row {row} of the counts is all zero")
        return cls(name, arr / sums, nsites=nsites, alt_name=alt_name, alphabet=alphabet)


def _background(background: Sequence[float] | None, size: int) -> np.ndarray:
    """Validated, normalised background of ``size`` letters (uniform when None)."""
    if background is None:
        return np.full(size, 1.0 / size)
    bg = np.asarray(background, dtype=np.float64).ravel()
    if bg.shape != (size,) or not np.all(np.isfinite(bg)) or np.any(bg <= 0):
        raise ConfigError(
            f"background must be {size} positive letter frequencies, got {list(np.ravel(background))}"
        )
    return bg / bg.sum()


# -- JASPAR ---------------------------------------------------------------------------

# JASPAR matrix ids: two letters, four digits, optional version (MA0139, MA0139.2).
_JASPAR_ID = re.compile(r"^([A-Za-z]{2}\d{4})(?:\.(\d+))?$")


def _jaspar_release(release: str | None) -> str:
    import pyjaspar

    if release is None:
        return pyjaspar.JASPAR_LATEST_RELEASE
    release = str(release)
    if release.isdigit():
        release = f"JASPAR{release}"
    if release not in pyjaspar.jaspar_releases:
        raise ConfigError(
            f"unknown JASPAR release {release!r}; pyjaspar ships "
            f"{', '.join(sorted(pyjaspar.jaspar_releases))}"
        )
    return release


def motifs_from_jaspar(ids_or_names: Sequence[str], *, release: str | None = None) -> list[Motif]:
    """Fetch JASPAR profiles as motifs, offline, from the databases pyjaspar ships.

    Each entry may be

    * a versioned matrix id, ``"MA0139.2"``;
    * a base id, ``"MA0139"``: its newest version;
    * a TF name, ``"CTCF"`` or ``"pou5f1::sox2"`` (case-insensitive): the newest version
      of the CORE vertebrate profile with that name.  When several base ids carry the
      name (CTCF has MA0139, MA1929 and MA1930), the lowest base id is taken: the TF's
      first, canonical profile.  Names with no vertebrate profile fall back to the other
      CORE taxa.

    Parameters
    ----------
    ids_or_names : sequence of str
        Matrix ids and / or TF names; a single string is one entry.
    release : str or None, optional
        JASPAR release, e.g. ``"JASPAR2024"`` (or ``"2024"``). Default is None, the
        newest release pyjaspar ships.

    Returns
    -------
    list of Motif
        In input order; ``name`` is the versioned matrix id, ``alt_name`` the TF name as
        JASPAR spells it, ``pfm`` the count matrix normalised without pseudocounts and
        ``nsites`` its largest column total.

    Raises
    ------
    ConfigError
        Naming every id or name not in the release, or for an unknown release.
    """
    from pyjaspar import jaspardb

    if isinstance(ids_or_names, str):
        ids_or_names = [ids_or_names]
    release = _jaspar_release(release)
    db = jaspardb(release=release)
    conn = db.conn
    try:
        found: list[tuple[int, str, str]] = []
        unknown: list[str] = []
        for entry in ids_or_names:
            hit = _jaspar_lookup(conn, str(entry).strip())
            if hit is None:
                unknown.append(str(entry))
            else:
                found.append(hit)
        if unknown:
            raise ConfigError(
                f"unknown JASPAR motif(s) in {release}: {', '.join(repr(u) for u in unknown)} "
                "(give a matrix id such as MA0139.2 or MA0139, or a TF name such as CTCF)"
            )
        return [
            Motif.from_counts(_jaspar_counts(conn, int_id), matrix_id, alt_name=tf_name)
            for int_id, matrix_id, tf_name in found
        ]
    finally:
        conn.close()


def _jaspar_lookup(conn, entry: str) -> tuple[int, str, str] | None:
    """``(internal id, matrix id, TF name)`` for an id or TF name, or None."""
    m = _JASPAR_ID.match(entry)
    if m:
        base, version = m.group(1).upper(), m.group(2)
        if version is None:
            row = conn.execute(
                "SELECT ID, BASE_ID, VERSION, NAME FROM MATRIX WHERE BASE_ID = ? "
                "ORDER BY VERSION DESC LIMIT 1",
                (base,),
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT ID, BASE_ID, VERSION, NAME FROM MATRIX WHERE BASE_ID = ? AND VERSION = ?",
                (base, int(version)),
            ).fetchone()
        if row is not None:
            return row[0], f"{row[1]}.{row[2]}", row[3]
        return None
    if not entry:
        return None
    # Match the name on each base id's newest version only: names change between
    # versions and the newest one is what JASPAR calls the profile now.
    rows = conn.execute(
        "SELECT m.ID, m.BASE_ID, m.VERSION, m.NAME, "
        "  (SELECT a.VAL FROM MATRIX_ANNOTATION a WHERE a.ID = m.ID AND a.TAG = 'tax_group') "
        "FROM MATRIX m "
        "WHERE m.COLLECTION = 'CORE' AND upper(m.NAME) = upper(?) "
        "  AND m.VERSION = (SELECT max(m2.VERSION) FROM MATRIX m2 WHERE m2.BASE_ID = m.BASE_ID) "
        "ORDER BY m.BASE_ID",
        (entry,),
    ).fetchall()
    if not rows:
        return None
    vertebrate = [r for r in rows if r[4] == "vertebrates"]
    row = (vertebrate or rows)[0]
    return row[0], f"{row[1]}.{row[2]}", row[3]


def _jaspar_counts(conn, int_id: int) -> np.ndarray:
    """The ``(W, 4)`` ACGT count matrix of a JASPAR internal id."""
    rows = conn.execute("SELECT row, col, val FROM MATRIX_DATA WHERE ID = ?", (int_id,)).fetchall()
    width = max(col for _, col, _ in rows)
    counts = np.zeros((width, 4), dtype=np.float64)
    for letter, col, val in rows:
        counts[col - 1, "ACGT".index(letter)] = val  # JASPAR columns are 1-based
    return counts
