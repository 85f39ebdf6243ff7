"""The lecture's first experiment: y = x^2 + noise fitted by an
[1, 8, 8, 1] ReLU network with Adam(lr=0.1), full batch, 10000 epochs."""
import numpy as np

import pymlp


def draw(plt, outdir):
    rng = np.random.default_rng(0)
    x = 5 * rng.standard_normal((100, 1))
    y = x ** 2 + rng.standard_normal((100, 1))
    net = pymlp.MLP([1, 8, 8, 1], activation="relu", seed=0)
    history = net.fit(x, y, loss="mse", optimizer=pymlp.Adam(lr=0.1),
                      epochs=10000)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    grid = np.linspace(x.min() - 1, x.max() + 1, 500)[:, None]
    left.plot(grid[:, 0], grid[:, 0] ** 2, color="0.6", lw=1,
              label="$x^2$")
    left.scatter(x[:, 0], y[:, 0], s=9, color="C0",
                 label="training data (100 points)")
    left.plot(grid[:, 0], net.predict(grid)[:, 0], color="C1",
              label="network [1, 8, 8, 1]")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.legend(fontsize=9)
    right.semilogy(np.arange(1, history.epochs + 1), history.loss,
                   color="C0", lw=0.8)
    right.set_xlabel("epoch")
    right.set_ylabel("training loss (MSE)")
    right.set_title(f"last epoch: {history.loss[-1]:.3g}", fontsize=10)
    fig.tight_layout()
    fig.savefig(f"{outdir}/square_fit.png", dpi=90)
    plt.close(fig)
