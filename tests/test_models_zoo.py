"""The model zoo: one contract for every registered model, padding-mask invariance for
the models that take a mask, receptive fields, recipes and the registry summary."""

from __future__ import annotations

import pytest
import torch

from seqnet import checkpoint as ckpt
from seqnet import config as config_mod
from seqnet.alphabets import DNA
from seqnet.encode import padding_mask
from seqnet.errors import ConfigError
from seqnet.models import MODELS, build_model, describe_models, run_model

L = 60

#: Small hyper-parameters (over the packaged recipe) so each model's tests take well
#: under a second on 2 CPU cores.
SMALL = {
    "deepbind": dict(n_filters=8, filter_width=7, hidden=8),
    "deepsea": dict(n_filters=[8, 8, 8], hidden=16),
    "basset": dict(n_filters=[8, 8, 8], hidden=[16, 16]),
    "dilated": dict(channels=8),
    "lstm": dict(lstm_hidden=8, hidden=8),
    "bilstm": dict(lstm_hidden=8, hidden=8),
    "danq": dict(n_filters=8, filter_width=9, pool_size=4, lstm_hidden=8, hidden=16),
    "cnn_lstm": dict(n_filters=[8, 8], filter_width=[7, 3], pool_size=[2, 3], lstm_hidden=8, hidden=8),
}
MASKED = sorted(n for n in MODELS if MODELS[n].takes_mask)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models gain nothing from intra-op threads, and on a busy 2-core machine the
    thread hand-offs of an LSTM's many small steps cost ~1000x its arithmetic."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def small_args(name: str, n_channels: int = 4, length: int | None = L, n_outputs: int = 3, **extra) -> dict:
    args = dict(config_mod.packaged_recipe(name)["model_args"])
    args.update(SMALL.get(name, {}))
    args.update(extra)
    return dict(n_channels=n_channels, length=length, n_outputs=n_outputs, **args)


def one_hot(n: int, c: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    tok = torch.randint(0, c, (n, length), generator=g)
    return torch.nn.functional.one_hot(tok, c).permute(0, 2, 1).float()


def test_small_overrides_cover_the_registry():
    """A newly registered model needs an entry here to keep the zoo tests fast."""
    assert set(SMALL) == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_contract(name, tmp_path):
    for c in (4, 20):  # DNA / RNA, protein
        torch.manual_seed(0)
        args = small_args(name, n_channels=c)
        model = build_model(name, **args).eval()
        x = one_hot(5, c, L)
        out = model(x)
        assert out.shape == (5, 3) and out.dtype == torch.float32
        # eval-mode outputs do not depend on the batch they are computed in
        torch.testing.assert_close(model(x[:2]), out[:2])
        torch.testing.assert_close(model(x[3:4]), out[3:4])
        # a backward pass reaches every parameter
        model.train()
        model(x).sum().backward()
        assert [n for n, p in model.named_parameters() if p.grad is None] == []

    # deterministic under a seed
    outs = []
    for _ in range(2):
        torch.manual_seed(7)
        outs.append(build_model(name, **args).eval()(x))
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)

    # save -> load gives identical outputs
    c = ckpt.make_checkpoint(model.eval(), name=name, model_args=args, alphabet=DNA, length=L,
                             task_type="multilabel", names=["a", "b", "c"], preprocess={}, config={})
    ckpt.save(tmp_path / "model.pt", c)
    loaded = ckpt.load(tmp_path / "model.pt").model
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)

    # receptive field and first convolution
    rf = model.receptive_field
    if model.takes_mask:
        assert rf == L  # recurrent: the whole input
    else:
        assert isinstance(rf, int) and rf >= 1
    conv = model.first_conv
    if name in ("lstm", "bilstm"):
        assert conv is None
    else:
        assert isinstance(conv, torch.nn.Conv1d) and conv.in_channels == 20


def _padded_batch(seqs: list[torch.Tensor], length: int, flip: list[bool]) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre-pad ``seqs`` ``(C, n_i)`` to ``length`` (as the data pipeline does), mirroring
    the rows in ``flip`` (as reverse-complement augmentation does); padding gets 0.25, not 0,
    to show it is never read."""
    n = torch.tensor([s.shape[1] for s in seqs])
    mask = padding_mask(n, length)
    x = torch.full((len(seqs), seqs[0].shape[0], length), 0.25)
    for i, s in enumerate(seqs):
        x[i][:, mask[i]] = s
    f = torch.tensor(flip)
    x = torch.where(f[:, None, None], x.flip(2), x)
    mask = torch.where(f[:, None], mask.flip(1), mask)
    return x, mask


@pytest.mark.parametrize(
    "name, extra",
    [(n, {}) for n in MASKED]
    + [
        ("danq", {"padding": "valid", "pool": "max"}),
        ("cnn_lstm", {"pool": "last", "bidirectional": False}),
        ("bilstm", {"pool": "last", "embed_dim": 5, "n_channels": 20}),
        ("lstm", {"pool": "mean", "lstm_layers": 2}),
    ],
)
def test_prediction_independent_of_padding(name, extra):
    torch.manual_seed(0)
    model = build_model(name, **small_args(name, **extra)).eval()
    c = extra.get("n_channels", 4)
    lengths = [L, 47, 33, 26, 21]  # odd and even pads, lengths not multiples of the pools
    seqs = [one_hot(1, c, n, seed=n)[0] for n in lengths]
    flip = [False, False, True, False, True]
    x, mask = _padded_batch(seqs, L, flip)
    seqs = [s.flip(1) if f else s for s, f in zip(seqs, flip, strict=True)]
    batch = model(x, mask=mask)
    alone = torch.cat([model(s[None]) for s in seqs])
    torch.testing.assert_close(batch, alone, rtol=1e-4, atol=1e-5)
    # run_model passes the mask to models that take one; an all-True mask changes nothing
    torch.testing.assert_close(run_model(model, x, mask), batch)
    full = one_hot(3, c, L)
    torch.testing.assert_close(model(full, mask=torch.ones(3, L, dtype=torch.bool)), model(full),
                               rtol=1e-4, atol=1e-5)


def test_bad_mask():
    model = build_model("lstm", **small_args("lstm"))
    with pytest.raises(ValueError, match=r"mask must be a bool tensor of shape \(N, L\) = \(2, 60\)"):
        model(one_hot(2, 4, L), mask=torch.ones(2, L))


@pytest.mark.parametrize("length", [1, 15, 16, 60, 1000, 1038])
def test_dilated_receptive_field_covers_length(length):
    model = build_model("dilated", **small_args("dilated", length=length))
    assert model.receptive_field >= length
    # and the fewest blocks that do: one block less falls short
    n = len(model.blocks)
    if n:
        fewer = build_model("dilated", **small_args("dilated", length=length, n_blocks=n - 1))
        assert fewer.receptive_field < length


def test_dilated_receptive_field_matches_the_layers():
    """The bases that move one position of the last feature map span ``receptive_field``."""
    torch.manual_seed(0)
    model = build_model("dilated", **small_args("dilated", n_blocks=3)).eval()  # GELU: no dead paths
    x = one_hot(1, 4, 101).requires_grad_(True)
    model.blocks(model.stem(x))[0, :, 50].sum().backward()
    hit = x.grad.abs().sum(dim=1)[0].nonzero().flatten()
    assert int(hit.max() - hit.min()) + 1 == model.receptive_field == 15 + 2 * (1 + 2 + 4)


def test_published_receptive_fields():
    assert build_model("deepsea").receptive_field == 163  # 8 -> pool 4 -> 8 -> pool 4 -> 8
    assert build_model("basset").receptive_field == 132  # 19 -> pool 3 -> 11 -> pool 4 -> 7
    assert build_model("danq").conv_receptive_field == 26 + 12  # conv 26 then pool 13


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("deepsea", {"length": 15}, "deepsea needs length >= 16"),
        ("deepsea", {"length": 100, "padding": "valid"}, "deepsea needs length >= 163"),
        ("basset", {"length": 47}, "basset needs length >= 48"),
        ("basset", {"length": 167, "padding": "valid"}, "basset needs length >= 168"),
        ("danq", {"length": 12}, "danq needs length >= 13"),
        ("cnn_lstm", {"length": 15}, "cnn_lstm needs length >= 16"),
        ("deepsea", {"padding": "full"}, "padding must be one of 'same', 'valid'"),
        ("deepsea", {"dropout": [0.1, 0.2]}, "dropout must be a number or a list of 3 numbers"),
        ("basset", {"pool_size": [3, 4]}, "pool_size must have 3 entries"),
        ("basset", {"n_filters": []}, "n_filters must be an integer or a non-empty list"),
        ("dilated", {}, "dilated: give length"),
        ("dilated", {"length": 100, "activation": "swish"}, "activation must be one of"),
        ("lstm", {"pool": "sum"}, "pool must be one of"),
        ("bilstm", {"embed_dim": 0}, "embed_dim must be an integer >= 1"),
        ("danq", {"dropout": 1.5}, r"dropout must be a number in \[0.0, 1.0\)"),
        ("cnn_lstm", {"bidirectional": "yes"}, "bidirectional must be true or false"),
        ("deepsea", {"hidden": 2.5}, "hidden must be an integer"),
    ],
)
def test_bad_hyper_parameters(name, args, message):
    with pytest.raises(ConfigError, match=f"model '{name}': bad arguments .*{message}"):
        build_model(name, **args)


@pytest.mark.parametrize("name", ["deepsea", "basset"])
def test_flatten_models(name):
    """Built for a length they reject others; built without one they take any length."""
    model = build_model(name, **small_args(name)).eval()
    with pytest.raises(ValueError, match="built for length 60; got inputs of length 61"):
        model(one_hot(1, 4, L + 1))
    model = build_model(name, **small_args(name, length=None)).eval()
    for length in (48, 61, 300):
        assert model(one_hot(2, 4, length)).shape == (2, 3)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_recipe_resolves_and_builds(name):
    cfg = config_mod.resolve(name)
    assert cfg["model"] == name
    with torch.device("meta"):  # the recipes' full sizes: shapes only
        for length in (100, 1000):
            build_model(name, n_channels=4, length=length, n_outputs=2, **cfg["model_args"])
        build_model(name, n_channels=20, length=500, n_outputs=2, **cfg["model_args"])


def test_describe_models():
    rows = describe_models(length=200)
    assert [r["name"] for r in rows] == sorted(MODELS)
    by_name = {r["name"]: r for r in rows}
    for r in rows:
        assert set(r) == {"name", "params", "receptive_field", "takes_mask", "description"}
        assert r["params"] > 0 and r["description"] and "\n" not in r["description"]
        assert r["takes_mask"] == MODELS[r["name"]].takes_mask
    args = config_mod.packaged_recipe("deepbind")["model_args"]
    deepbind = build_model("deepbind", n_channels=4, length=200, n_outputs=1, **args)
    assert by_name["deepbind"]["params"] == sum(p.numel() for p in deepbind.parameters())
    assert by_name["deepbind"]["receptive_field"] == args["filter_width"]
    assert by_name["dilated"]["receptive_field"] >= 200
    assert by_name["lstm"]["receptive_field"] == 200


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(MODELS))
def test_bf16_autocast_on_cuda(name):
    torch.manual_seed(0)
    model = build_model(name, **small_args(name)).cuda().train()
    x = one_hot(4, 4, L).cuda()
    mask = padding_mask(torch.tensor([L, 50, 31, 40], device="cuda"), L)
    with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
        out = run_model(model, x, mask)
    assert out.shape == (4, 3)
    out.float().sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    if model.takes_mask:  # padding still ignored under autocast (bf16 tolerance)
        model.eval()
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            batch = model(x * mask[:, None, :], mask=mask)
            alone = model(x[1:2, :, mask[1]])
        torch.testing.assert_close(batch[1:2].float(), alone.float(), rtol=0.05, atol=0.05)
