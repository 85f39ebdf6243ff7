"""A plain NumPy MLP with Adam, the baseline of bench/compare.py: ReLU
hidden layers, identity output, MSE or cross-entropy (PyTorch's mean
reductions), PyTorch's Adam rule. Buffers for the moments are allocated
once; the matrix products go to NumPy's BLAS."""
import numpy as np


class NumpyMLP:
    def __init__(self, sizes, loss, lr=1e-3, seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.W, self.b = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / np.sqrt(n_in)
            self.W.append(rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype))
            self.b.append(rng.uniform(-bound, bound, n_out).astype(dtype))
        self.params = self.W + self.b
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.loss, self.lr, self.t = loss, lr, 0

    def forward(self, X):
        acts = [X]
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            f = acts[-1] @ W + b
            acts.append(np.maximum(f, 0, out=f) if l < len(self.W) - 1 else f)
        return acts

    def step(self, X, y):
        acts = self.forward(X)
        z = acts[-1]
        n = X.shape[0]
        if self.loss == "cross_entropy":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            e /= e.sum(axis=1, keepdims=True)
            e[np.arange(n), y] -= 1
            delta = e / n
        else:
            delta = 2 * (z - y) / z.size
        dW, db = [None] * len(self.W), [None] * len(self.W)
        for l in range(len(self.W) - 1, -1, -1):
            dW[l] = acts[l].T @ delta
            db[l] = delta.sum(axis=0)
            if l > 0:
                delta = delta @ self.W[l].T
                delta *= acts[l] > 0
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        step_size = self.lr / (1 - b1 ** self.t)
        bc2 = np.sqrt(1 - b2 ** self.t)
        for p, g, m, v in zip(self.params, dW + db, self.m, self.v):
            m += (1 - b1) * (g - m)
            v *= b2
            v += (1 - b2) * g * g
            p -= step_size * m / (np.sqrt(v) / bc2 + eps)

    def predict(self, X):
        return self.forward(X)[-1]
