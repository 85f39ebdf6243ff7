"""An independent float64 NumPy reference of the MLP, written from the
lecture's equations: forward a = g(a_prev @ W + b), PyTorch's losses, and
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


def loss_and_delta(name, z, y):
    """Mean loss (PyTorch's definitions) and dL/dz."""
    if name == "cross_entropy":
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        logsumexp = np.log(np.exp(shifted).sum(axis=1))
        value = np.mean(logsumexp - shifted[np.arange(n), y])
        softmax = np.exp(shifted - logsumexp[:, None])
        onehot = np.zeros_like(z)
        onehot[np.arange(n), y] = 1
        return value, (softmax - onehot) / n
    y = np.asarray(y, np.float64).reshape(z.shape)
    d = z - y
    m = z.size
    if name == "mse":
        return np.mean(d ** 2), 2 * d / m
    if name == "mae":
        return np.mean(np.abs(d)), np.sign(d) / m
    if name == "huber":
        ad = np.abs(d)
        value = np.mean(np.where(ad < 1, 0.5 * d * d, ad - 0.5))
        return value, np.clip(d, -1, 1) / m
    if name == "binary_cross_entropy":
        value = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        return value, (1 / (1 + np.exp(-z)) - y) / m
    raise KeyError(name)


def loss_and_grad(weights, biases, activations, X, y, loss):
    layers = forward(weights, biases, activations, X)
    value, delta = loss_and_delta(loss, layers[-1][1], y)
    grads = []
    L = len(weights)
    delta = delta * derivative(activations[-1], layers[-1][0])
    for l in range(L, 0, -1):
        a_prev = layers[l - 1][1]
        grads.append((a_prev.T @ delta, delta.sum(axis=0)))
        if l > 1:
            W = np.asarray(weights[l - 1], np.float64)
            delta = (delta @ W.T) * derivative(activations[l - 2],
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
