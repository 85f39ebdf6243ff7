"""An independent float64 NumPy reference of the MLP, written from the
lecture's equations: forward a = g(a_prev @ W + b), PyTorch's losses (and
scikit-learn's), rows weighted, an L2 penalty on the weights, and
backpropagation with delta[l] = g'(f[l]) * (delta[l+1] @ W[l+1]^T)."""
import math

import numpy as np

_erf = np.vectorize(math.erf)


def activation(name, f):
    if name == "identity":
        return f
    if name == "relu":
        return np.maximum(f, 0)
    if name == "leaky_relu":
        return np.where(f > 0, f, 0.01 * f)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-f))
    if name == "tanh":
        return np.tanh(f)
    if name == "softplus":
        return np.log1p(np.exp(f))
    if name == "gelu":
        return 0.5 * f * (1 + _erf(f / np.sqrt(2)))
    if name == "step":
        return np.where(f > 0, 1.0, -1.0)
    raise KeyError(name)


def derivative(name, f):
    """g'(f), computed from f directly (not from the output)."""
    if name == "identity":
        return np.ones_like(f)
    if name == "relu":
        return (f > 0).astype(float)
    if name == "leaky_relu":
        return np.where(f > 0, 1.0, 0.01)
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-f))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(f) ** 2
    if name == "softplus":
        return 1 / (1 + np.exp(-f))
    if name == "gelu":
        cdf = 0.5 * (1 + _erf(f / np.sqrt(2)))
        return cdf + f * np.exp(-0.5 * f * f) / np.sqrt(2 * np.pi)
    raise KeyError(name)


def forward(weights, biases, activations, X):
    """Returns the list of (f, a) per layer, a[0] = X."""
    a = np.asarray(X, dtype=np.float64)
    layers = [(None, a)]
    for W, b, g in zip(weights, biases, activations):
        f = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        a = activation(g, f)
        layers.append((f, a))
    return layers


def row_losses_and_grads(name, z, y):
    """Each row's loss l_i (n,) and its gradient dl_i/dz (n, O)."""
    if name == "cross_entropy":
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        logsumexp = np.log(np.exp(shifted).sum(axis=1))
        softmax = np.exp(shifted - logsumexp[:, None])
        onehot = np.zeros_like(z)
        onehot[np.arange(n), y] = 1
        return logsumexp - shifted[np.arange(n), y], softmax - onehot
    y = np.asarray(y, np.float64).reshape(z.shape)
    d = z - y
    bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    sigmoid = 1 / (1 + np.exp(-z))
    ad = np.abs(d)
    xlogx = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0.0)
    element = {  # (loss of each element, its derivative, mean over outputs)
        "mse": (d ** 2, 2 * d, True),
        "mae": (ad, np.sign(d), True),
        "huber": (np.where(ad < 1, 0.5 * d * d, ad - 0.5),
                  np.clip(d, -1, 1), True),
        "binary_cross_entropy": (bce, sigmoid - y, True),
        "half_squared_error": (0.5 * d * d, d, False),
        "binary_log_loss": (bce, sigmoid - y, False),
        "poisson": (np.exp(z) - y * z + xlogx - y, np.exp(z) - y, False),
    }
    e, de, mean = element[name]
    scale = 1 / z.shape[1] if mean else 1.0
    return e.sum(axis=1) * scale, de * scale


def loss_and_delta(name, z, y, sample_weight=None):
    """The batch loss sum_i w_i l_i / sum_i w_i and dL/dz."""
    rows, grads = row_losses_and_grads(name, z, y)
    w = (np.ones(z.shape[0]) if sample_weight is None
         else np.asarray(sample_weight, np.float64))
    return (w @ rows) / w.sum(), grads * (w / w.sum())[:, None]


def loss_and_grad(weights, biases, activations, X, y, loss,
                  sample_weight=None, l2=0.0):
    layers = forward(weights, biases, activations, X)
    value, delta = loss_and_delta(loss, layers[-1][1], y, sample_weight)
    w_sum = X.shape[0] if sample_weight is None else np.sum(sample_weight)
    W64 = [np.asarray(W, np.float64) for W in weights]
    value += 0.5 * l2 * sum((W * W).sum() for W in W64) / w_sum
    grads = []
    L = len(weights)
    delta = delta * derivative(activations[-1], layers[-1][0])
    for l in range(L, 0, -1):
        a_prev = layers[l - 1][1]
        grads.append((a_prev.T @ delta + l2 * W64[l - 1] / w_sum,
                      delta.sum(axis=0)))
        if l > 1:
            delta = (delta @ W64[l - 1].T) * derivative(activations[l - 2],
                                                        layers[l - 1][0])
    return value, grads[::-1]


def sgd(p, g, buf, lr, momentum=0.0, nesterov=False, weight_decay=0.0,
        first=False):
    """torch.optim.SGD, one step; returns (p, buf)."""
    g = g + weight_decay * p
    if momentum:
        buf = g.copy() if first else momentum * buf + g
        g = g + momentum * buf if nesterov else buf
    return p - lr * g, buf


def adam(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
         decoupled=False):
    """torch.optim.Adam (or AdamW when decoupled), step t >= 1; returns
    (p, m, v)."""
    b1, b2 = betas
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def sgd_sklearn(p, g, velocity, lr, momentum=0.0, nesterov=False):
    """scikit-learn's SGD, one step; returns (p, velocity)."""
    velocity = momentum * velocity - lr * g
    step = momentum * velocity - lr * g if nesterov else velocity
    return p + step, velocity


def adam_sklearn(p, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    """scikit-learn's Adam, step t >= 1; returns (p, m, v)."""
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    step_size = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return p - step_size * m / (np.sqrt(v) + eps), m, v
