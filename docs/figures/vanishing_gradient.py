"""The vanishing gradient: the norm of dL/dW[l] for each layer of a deep
sigmoid network and of the same network with ReLU, from
MLP.loss_and_grad."""
import numpy as np

import pymlp

DEPTH = 10  # hidden layers
WIDTH = 16
SEEDS = range(5)


def layer_norms(activation, X, y):
    """The geometric mean over SEEDS of ||dW[l]|| for l = 1 .. L."""
    logs = []
    for seed in SEEDS:
        net = pymlp.MLP([WIDTH] * (DEPTH + 1) + [1], activation=activation,
                        init="glorot_uniform", dtype="float64", seed=seed)
        _, grads = net.loss_and_grad(X, y, loss="mse")
        logs.append([np.log(np.linalg.norm(dW)) for dW, _ in grads])
    return np.exp(np.mean(logs, axis=0))


def draw(plt, outdir):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, WIDTH))
    y = rng.standard_normal((256, 1))
    layers = np.arange(1, DEPTH + 2)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for activation, marker in (("sigmoid", "o"), ("relu", "s")):
        ax.semilogy(layers, layer_norms(activation, X, y), marker=marker,
                    label=f"{activation} hidden layers")
    ax.set_xticks(layers)
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel(r"$\|\partial L / \partial W^{[l]}\|$")
    ax.legend()
    ax.grid(True, which="major", color="0.9")
    fig.tight_layout()
    fig.savefig(f"{outdir}/vanishing_gradient.png", dpi=90)
    plt.close(fig)
