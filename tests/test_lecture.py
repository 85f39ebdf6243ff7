"""The lecture's worked examples."""
import numpy as np

import pymlp


def test_sigmoid_chain_gradients_at_zero():
    # y = w2 * sigmoid(w1 * x) at w1 = w2 = 0, x = 0: dy/dw1 = w2 s'(0) x = 0
    # and dy/dw2 = sigmoid(0) = 0.5. With MSE against the target -0.5,
    # dL/dy = 2 (0 - (-0.5)) = 1, so the loss gradients are dy/dw exactly.
    net = pymlp.MLP([1, 1, 1], activation="sigmoid", dtype="float64")
    net.params[...] = 0
    _, grads = net.loss_and_grad([[0.0]], [[-0.5]], loss="mse")
    assert grads[0][0][0, 0] == 0.0
    assert grads[1][0][0, 0] == 0.5


def test_abs_x_minus_1_network_is_exact():
    net = pymlp.MLP([1, 2, 1], activation="relu", dtype="float64")
    net.weights[0][...] = [[1, -1]]
    net.biases[0][...] = [-1, 1]
    net.weights[1][...] = [[1], [1]]
    net.biases[1][...] = [0]
    x = np.linspace(-5, 7, 97).reshape(-1, 1)
    np.testing.assert_array_equal(net.predict(x), np.abs(x - 1))
    assert net.loss(x, np.abs(x - 1)) == 0.0


def test_hand_worked_example():
    # one identity unit, W = 2, b = 1; x = 3, y = 5:
    # y_hat = 2 * 3 + 1 = 7, loss = (7 - 5)^2 = 4,
    # dL/dy_hat = 2 (7 - 5) = 4, dW = 4 * x = 12, db = 4
    net = pymlp.MLP([1, 1], dtype="float64")
    net.weights[0][...] = 2
    net.biases[0][...] = 1
    value, [(dW, db)] = net.loss_and_grad([[3.0]], [[5.0]])
    assert value == 4.0
    assert dW[0, 0] == 12.0 and db[0] == 4.0


def test_sigmoid_derivative_is_at_most_a_quarter():
    # a chain x -> sigmoid(w x) with w = 1: dL/dw = g'(f) x dL/da, largest
    # (0.25) at f = 0
    net = pymlp.MLP([1, 1], output_activation="sigmoid", dtype="float64")
    net.weights[0][...] = 1
    net.biases[0][...] = 0
    slopes = []
    for f in np.linspace(-6, 6, 49):
        # target below the output by 0.5: dL/da = 2 * 0.5 = 1
        target = net.predict([[f]])[0, 0] - 0.5
        _, [(dW, db)] = net.loss_and_grad([[f]], [[target]])
        slopes.append(db[0])
    assert max(slopes) == 0.25
    assert min(slopes) > 0


def test_vanishing_gradient_in_a_deep_sigmoid_stack(rng):
    sizes = [4] * 10 + [1]
    net = pymlp.MLP(sizes, activation="sigmoid", dtype="float64", seed=0)
    X, y = rng.standard_normal((32, 4)), rng.standard_normal((32, 1))
    _, grads = net.loss_and_grad(X, y)
    norms = [np.linalg.norm(dW) for dW, _ in grads]
    # each sigmoid layer scales the backward signal by at most 0.25 |W|
    assert norms[0] < 1e-3 * norms[-1]
    assert norms[0] < norms[4] < norms[-2]
