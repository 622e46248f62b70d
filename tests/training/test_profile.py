"""Parameter and FLOP counts of the built networks against published figures.

NAS-Bench-201 (``nb201_table.csv``, the NATS-tss records), DARTS-space
genotypes in DARTS's evaluation network (P-DARTS issue 7 / DARTS paper), and
NASLib's NB301 zero-cost data (``zc_nasbench301.json``).
"""

from __future__ import annotations

import bz2
import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from naslab.spaces import DartsSpace, NB201Space, get_space
from naslab.training.builders import build_network
from naslab.training.darts_net import DartsNetwork
from naslab.training.profile import count_flops, count_parameters

torch.set_num_threads(1)
NB201 = NB201Space()
DARTS = DartsSpace()
# (input shape, classes) of NB201's three data sets
NB201_DATA = {"cifar10": ((3, 32, 32), 10), "cifar100": ((3, 32, 32), 100),
              "ImageNet16-120": ((3, 16, 16), 120)}
PDARTS = (
    "Genotype(normal=[('skip_connect', 0), ('dil_conv_3x3', 1), ('skip_connect', 0),"
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3',0), "
    "('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), "
    "('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), "
    "('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('dil_conv_5x5', 3)], reduce_concat=range(2, 6))"
)


def test_counts_follow_nb201s_conventions():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4, bias=False),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    conv = (27 * 4 + 4) * 64 + 9 * 4 * 16  # MACs + bias adds; depthwise: k*k*C per position
    assert count_flops(net.train(), (3, 8, 8)) == conv + 4 * 2 + 2
    assert net.training  # the count runs in eval mode and restores the mode
    assert count_parameters(net) == 27 * 4 + 4 + 8 + 36 + 10


def test_nb201_parameters_match_the_benchmark(shared_data):
    table = pd.read_csv(shared_data / "nb201" / "nb201_table.csv", dtype={"op_key": str})
    rows = table.sample(30, random_state=0)
    rows = pd.concat([rows, table[table.op_key == "333132"]])  # the best cifar10 cell
    for row in rows.itertuples():
        arch = NB201.from_op_key(row.op_key)
        assert str(arch) == row.arch_str
        for classes, published in ((10, row.c10v_params_mb), (100, row.c100_params_mb)):
            net = build_network(arch, (3, 32, 32), classes)
            assert count_parameters(net) / 1e6 == pytest.approx(published, rel=1e-6)


def test_nb201_flops_and_parameters_match_nats_records(shared_data):
    folder = shared_data / "nats_tss_sample"
    for index in (0, 11, 284):
        with bz2.open(folder / f"{index:06d}.pickle.pbz2") as handle:
            record = pickle.load(handle)["200"]
        arch = NB201.parse(record["arch_str"])
        results = {name: r for (name, _), r in record["all_results"].items()}
        for dataset, (shape, classes) in NB201_DATA.items():
            net = build_network(arch, shape, classes)
            assert count_flops(net, shape) / 1e6 == pytest.approx(results[dataset]["flop"],
                                                                  rel=1e-6)
            assert count_parameters(net) / 1e6 == pytest.approx(results[dataset]["params"],
                                                                rel=1e-6)


def test_darts_evaluation_network_matches_published_sizes():
    """P-DARTS's cell in DARTS's NetworkCIFAR (C=36, 20 layers): 3,433,798 parameters, 3,910,224
    with the auxiliary head (github chenxin061/pdarts issue 7); DARTS V2: 3.3M (DARTS, Table 1)."""
    net = build_network(DARTS.parse(PDARTS), (3, 32, 32), 10, auxiliary=True)
    assert count_parameters(net) == 3_433_798
    assert count_parameters(net, auxiliary=True) == 3_910_224
    v2 = build_network(get_space("darts").from_genotype(
        [("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 2 + [("sep_conv_3x3", 1), ("skip_connect", 0),
                                                          ("skip_connect", 0), ("dil_conv_3x3", 2)],
        [("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
         ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    ), (3, 32, 32), 10)
    assert round(count_parameters(v2) / 1e6, 1) == 3.3


def nb301_records(shared_data, n: int, seed: int) -> list[tuple[str, dict]]:
    data = json.loads((shared_data / "naslib_zc" / "zc_nasbench301.json").read_text())["cifar10"]
    keys = sorted(data)
    picks = np.random.default_rng(seed).choice(len(keys), n, replace=False)
    return [(keys[i], data[keys[i]]) for i in picks]


def naslib_nb301(arch) -> DartsNetwork:
    """NASLib's NB301 graph, on which its zero-cost 'params' and 'flops' were measured: DARTS's
    network with C=32 and 8 layers (channels 32/64/128), cell-op BN without affine."""
    return DartsNetwork([arch] * 8, 10, channels=32, affine=False)


def test_nb301_parameters_match_naslibs_zero_cost_data(shared_data):
    for key, record in nb301_records(shared_data, 20, seed=0):
        net = naslib_nb301(DARTS.from_naslib(key))
        assert count_parameters(net) == round(record["params"]["score"] * 1e6)


def test_nb301_flops_match_naslibs_zero_cost_data(shared_data):
    """NASLib's 'flops' come from tensorwatch's ModelStats, whose conventions add to our
    multiply-accumulates: BN elements (twice if affine), ReLU inputs, 9 per 3x3 pool output plus
    1 for the BN NASLib puts after each pool, and (8+1)^2 windows x 512 channels for the final
    adaptive pool; it leaves out the linear bias. Exact agreement pins every layer's shape."""
    for key, record in nb301_records(shared_data, 10, seed=1):
        net = naslib_nb301(DARTS.from_naslib(key))
        elements = 0

        def hook(module: nn.Module, inputs: tuple[torch.Tensor], out: torch.Tensor) -> None:
            nonlocal elements
            if isinstance(module, nn.BatchNorm2d):
                elements += inputs[0].numel() * (2 if module.affine else 1)
            elif isinstance(module, nn.ReLU):
                elements += inputs[0].numel()
            elif isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
                elements += 10 * out.numel()

        for module in net.modules():
            module.register_forward_hook(hook)
        macs = count_flops(net, (3, 32, 32))
        naslib = macs + elements + 81 * 512 - 10
        assert naslib == pytest.approx(record["flops"]["score"] * 1e6, abs=0.5)
