"""`pymlp info [MODEL]`: the engine's build, or what a model file holds."""
import argparse
from typing import Any

import pymlp


def info(args: argparse.Namespace) -> None:
    if args.model is None:
        for key, value in pymlp.build_info().items():
            print(f"{key}: {value}")
        return
    model = pymlp.load(args.model)
    from pymlp.io.tables import TableModel
    net = model if isinstance(model, pymlp.MLP) else model.net_ \
        if not isinstance(model, TableModel) else model.estimator.net_
    print(f"model: {type(model).__name__}")
    print(f"layers: {list(net.layer_sizes)}")
    print(f"activations: {list(net.activations)}")
    if isinstance(model, TableModel):
        est = model.estimator
        print(f"estimator: {type(est).__name__}")
        print(f"target: {model.target}")
        print("task: " + ("classification" if model.is_classifier
                          else "regression"))
        if model.is_classifier:
            print(f"classes: {[str(c) for c in est.classes_]}")
        if model.target_scaling is not None:
            mean, scale = model.target_scaling
            print(f"target standardised: mean {mean:.6g}, scale {scale:.6g}")
        for f in model.features:
            detail = (f"mean {f['mean']:.6g}, scale {f['scale']:.6g}"
                      if f["kind"] == "numeric"
                      else f"categories {f['categories']}")
            print(f"feature {f['name']}: {f['kind']}, {detail}")
        print(f"epochs: {est.n_iter_}, final loss: {est.loss_:.6g}")


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "info", help="show the engine's build, or a model file's content")
    run.add_argument("model", nargs="?", metavar="MODEL",
                     help="a model file to describe")
    run.set_defaults(handler=info)
