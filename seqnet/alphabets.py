"""Sequence alphabets: DNA, RNA and protein.

Each alphabet maps its canonical letters to tokens ``0 .. C-1`` (the one-hot channel
order) and every accepted ambiguity code to one extra token ``C`` ("unknown"), which is
also the padding token.  Lookup is case-insensitive: soft-masked lower case is ordinary
input.  Any other byte is invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqnet.errors import ConfigError

#: Token value marking a byte that is not in the alphabet at all (never stored).
INVALID = 255

IUPAC_DNA_AMBIGUOUS = "NRYSWKMBDHV"


@dataclass(frozen=True)
class Alphabet:
    """A sequence alphabet.

    Parameters
    ----------
    name : str
        Short name, ``"dna"``, ``"rna"`` or ``"protein"``.
    letters : str
        Canonical upper-case letters; position ``i`` is token ``i`` and one-hot channel ``i``.
    ambiguous : str
        Upper-case letters accepted as input and mapped to the unknown token.
    complement : str or None
        Complement of each letter in ``letters`` (same order), or None when the alphabet
        has no complement (protein).
    """

    name: str
    letters: str
    ambiguous: str
    complement: str | None = None
    lut: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lut = np.full(256, INVALID, dtype=np.uint8)
        for i, ch in enumerate(self.letters):
            lut[ord(ch)] = i
            lut[ord(ch.lower())] = i
        for ch in self.ambiguous:
            lut[ord(ch)] = self.unknown
            lut[ord(ch.lower())] = self.unknown
        object.__setattr__(self, "lut", lut)

    @property
    def size(self) -> int:
        """Number of canonical letters ``C`` (one-hot channels)."""
        return len(self.letters)

    @property
    def unknown(self) -> int:
        """Token of unknown / ambiguous letters and of padding: ``C``."""
        return len(self.letters)

    @property
    def has_complement(self) -> bool:
        return self.complement is not None

    def complement_tokens(self) -> np.ndarray:
        """Token -> complement token table of shape ``(C + 1,)``; unknown maps to itself.

        Raises
        ------
        ConfigError
            When the alphabet has no complement (protein).
        """
        if self.complement is None:
            raise ConfigError(f"the {self.name} alphabet has no reverse complement")
        table = np.array([self.letters.index(c) for c in self.complement] + [self.unknown], dtype=np.uint8)
        return table

    def decode_table(self) -> np.ndarray:
        """Token -> ASCII byte table of shape ``(C + 1,)``; unknown decodes to N (X for protein)."""
        unk = "X" if self.name == "protein" else "N"
        return np.frombuffer((self.letters + unk).encode("ascii"), dtype=np.uint8).copy()


DNA = Alphabet("dna", "ACGT", IUPAC_DNA_AMBIGUOUS, complement="TGCA")
RNA = Alphabet("rna", "ACGU", IUPAC_DNA_AMBIGUOUS, complement="UGCA")
# X: any; B/Z/J: ambiguous pairs; U/O: selenocysteine / pyrrolysine; *: stop.
PROTEIN = Alphabet("protein", "ACDEFGHIKLMNPQRSTVWY", "XBZJUO*")

ALPHABETS: dict[str, Alphabet] = {a.name: a for a in (DNA, RNA, PROTEIN)}


def get_alphabet(name: str | Alphabet) -> Alphabet:
    """Return the alphabet called ``name`` (``dna``, ``rna`` or ``protein``; case-insensitive).

    Raises
    ------
    ConfigError
        For an unknown name.
    """
    if isinstance(name, Alphabet):
        return name
    try:
        return ALPHABETS[str(name).lower()]
    except KeyError:
        raise ConfigError(
            f"unknown alphabet {name!r}; expected one of {', '.join(ALPHABETS)}"
        ) from None
