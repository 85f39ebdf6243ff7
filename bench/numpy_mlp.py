"""A plain NumPy MLP, the baseline of bench/compare.py.

ReLU hidden layers, identity output, ``mse`` (mean over all elements) or
``cross_entropy`` (softmax + NLL on logits, integer labels, mean over rows)
as PyTorch reduces them, and Adam with torch.optim.Adam's rule (bias
corrections, ``eps`` added to ``sqrt(v_hat)``, no AMSGrad)::

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

Parameters, gradient and the two moments are flat buffers (W1, b1, W2, b2,
... with views per layer, as pymlp lays them out) so that the update is a
handful of whole-array NumPy operations; the forward outputs, the deltas
and the ReLU masks are allocated once per batch size and reused (a smaller
last batch uses the leading rows). Matrix products go to NumPy's BLAS,
everything else is NumPy's elementwise loops, single-threaded.

Nothing here depends on pymlp: it is an independent yardstick of what a
careful pure-NumPy implementation costs.
"""
import numpy as np


class NumpyMLP:
    """``NumpyMLP(sizes, loss="mse", lr=1e-3)``; ``train_step(X, y)`` does
    one Adam update on the batch and returns its loss."""

    def __init__(self, sizes, loss="mse", lr=1e-3, betas=(0.9, 0.999),
                 eps=1e-8, seed=0, dtype=np.float32):
        if loss not in ("mse", "cross_entropy"):
            raise ValueError(f"unknown loss {loss!r}")
        self.sizes = tuple(int(s) for s in sizes)
        self.loss_name = loss
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.dtype = np.dtype(dtype)
        self.t = 0
        n_params = sum(a * b + b for a, b in zip(self.sizes[:-1],
                                                 self.sizes[1:]))
        self.params = np.empty(n_params, self.dtype)
        self.grad = np.zeros(n_params, self.dtype)
        self.m = np.zeros(n_params, self.dtype)
        self.v = np.zeros(n_params, self.dtype)
        self._tmp = np.empty(n_params, self.dtype)
        self._tmp2 = np.empty(n_params, self.dtype)
        self.W, self.b = self._views(self.params)
        self.dW, self.db = self._views(self.grad)
        # torch.nn.Linear's default initialisation
        rng = np.random.default_rng(seed)
        for W, b in zip(self.W, self.b):
            bound = 1.0 / np.sqrt(W.shape[0])
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)
        self._batch = 0

    def _views(self, flat):
        Ws, bs, offset = [], [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            Ws.append(flat[offset:offset + n_in * n_out].reshape(n_in, n_out))
            offset += n_in * n_out
            bs.append(flat[offset:offset + n_out])
            offset += n_out
        return Ws, bs

    def _buffers(self, n):
        """Forward outputs a[1..L], deltas and ReLU masks for n rows."""
        if n > self._batch:
            self._a = [np.empty((n, s), self.dtype) for s in self.sizes[1:]]
            self._d = [np.empty((n, s), self.dtype) for s in self.sizes[1:]]
            self._mask = [np.empty((n, s), bool) for s in self.sizes[1:-1]]
            self._rowmax = np.empty((n, 1), self.dtype)
            self._rows = np.arange(n)
            self._batch = n
        return ([a[:n] for a in self._a], [d[:n] for d in self._d],
                [m[:n] for m in self._mask])

    # -- passes -------------------------------------------------------------

    def forward(self, X, acts=None):
        """The output (logits for cross-entropy) for the rows of X; the
        returned array is a reused buffer."""
        if acts is None:
            acts = self._buffers(X.shape[0])[0]
        last = len(self.W) - 1
        prev = X
        for l, (W, b, out) in enumerate(zip(self.W, self.b, acts)):
            np.matmul(prev, W, out=out)
            out += b
            if l < last:
                np.maximum(out, 0, out=out)
            prev = out
        return prev

    def predict(self, X):
        return self.forward(np.asarray(X, self.dtype)).copy()

    def loss_and_backward(self, X, y):
        """Mean loss on the batch; fills self.grad."""
        n = X.shape[0]
        acts, deltas, masks = self._buffers(n)
        z = self.forward(X, acts)
        delta = deltas[-1]
        if self.loss_name == "cross_entropy":
            rowmax = self._rowmax[:n]
            np.max(z, axis=1, keepdims=True, out=rowmax)
            np.subtract(z, rowmax, out=delta)
            np.exp(delta, out=delta)
            total = delta.sum(axis=1, keepdims=True)
            rows = self._rows[:n]
            picked = z[rows, y] - rowmax[:, 0]
            value = float(np.mean(np.log(total[:, 0]) - picked))
            delta /= total
            delta[rows, y] -= 1
            delta *= 1.0 / n
        else:
            np.subtract(z, y.reshape(z.shape), out=delta)
            value = float(np.vdot(delta, delta)) / delta.size
            delta *= 2.0 / delta.size
        for l in range(len(self.W) - 1, -1, -1):
            prev = X if l == 0 else acts[l - 1]
            np.matmul(prev.T, delta, out=self.dW[l])
            np.sum(delta, axis=0, out=self.db[l])
            if l > 0:
                back = deltas[l - 1]
                np.matmul(delta, self.W[l].T, out=back)
                np.greater(prev, 0, out=masks[l - 1])
                np.multiply(back, masks[l - 1], out=back)
                delta = back
        return value

    def step(self):
        """One Adam update from self.grad (torch.optim.Adam's rule)."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        g, m, v, tmp, tmp2 = self.grad, self.m, self.v, self._tmp, self._tmp2
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        step_size = self.lr / (1 - b1 ** self.t)
        bc2_sqrt = np.sqrt(1 - b2 ** self.t)
        np.sqrt(v, out=tmp)
        tmp /= bc2_sqrt
        tmp += self.eps
        np.divide(m, tmp, out=tmp2)
        tmp2 *= step_size
        self.params -= tmp2

    def train_step(self, X, y):
        value = self.loss_and_backward(X, y)
        self.step()
        return value

    def train_epoch(self, X, y, batch_size):
        """One pass over the rows in order, batch_size at a time; the mean
        loss weighted by rows."""
        total = 0.0
        for s in range(0, X.shape[0], batch_size):
            xb, yb = X[s:s + batch_size], y[s:s + batch_size]
            total += self.train_step(xb, yb) * xb.shape[0]
        return total / X.shape[0]
