"""The optimiser of a training run, built in one place from its settings."""

from __future__ import annotations

import torch

from seqnet.training.settings import TrainSettings


def build_optimizer(model: torch.nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    """Adam over every parameter of ``model`` with the settings' learning rate and L2 penalty."""
    return torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
