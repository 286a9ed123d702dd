"""seqnet: deep learning on biological sequences and other structured data."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load"]


def load(path, map_location="cpu"):
    """Load a checkpoint written by ``seqnet train`` and rebuild its model.

    See :func:`seqnet.checkpoint.load`.
    """
    from seqnet.checkpoint import load as _load

    return _load(path, map_location=map_location)
