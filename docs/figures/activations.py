"""Each activation g and its derivative g', both computed by pymlp's
engine: g by a one-unit network's predict, g' by its backward pass."""
import numpy as np

import pymlp

NAMES = ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus",
         "gelu", "step"]


def values_and_slopes(name, f):
    """g(f) and g'(f) on the points f, from a network [1, 1] with W = 1,
    b = 0 and output activation `name` (float64)."""
    net = pymlp.MLP([1, 1], output_activation=name, dtype="float64")
    net.weights[0][...] = 1.0
    net.biases[0][...] = 0.0
    g = net.predict(f[:, None])[:, 0]
    if name == "step":  # no gradient: fit and loss_and_grad refuse it
        return g, None
    slopes = np.empty_like(f)
    for i, (fi, gi) in enumerate(zip(f, g)):
        # the MSE against a target 0.5 below the output has dL/da = 1, so
        # dL/db = g'(f): the engine's backward pass at that one point
        _, [(_, db)] = net.loss_and_grad([[fi]], [[gi - 0.5]], loss="mse")
        slopes[i] = db[0]
    return g, slopes


def draw(plt, outdir):
    f = np.linspace(-4, 4, 401)
    fig, axes = plt.subplots(2, 4, figsize=(11, 5), sharex=True)
    for ax, name in zip(axes.flat, NAMES):
        g, slopes = values_and_slopes(name, f)
        ax.axhline(0, color="0.85", lw=0.8)
        ax.axvline(0, color="0.85", lw=0.8)
        ax.plot(f, g, color="C0", label="g(f)")
        if slopes is not None:
            ax.plot(f, slopes, color="C1", ls="--", label="g'(f)")
        ax.set_title(name, fontsize=11)
        ax.set_ylim(-1.6, 2.6)
    axes[0, 0].legend(loc="upper left", fontsize=9)
    for ax in axes[1]:
        ax.set_xlabel("f")
    fig.tight_layout()
    fig.savefig(f"{outdir}/activations.png", dpi=90)
    plt.close(fig)
