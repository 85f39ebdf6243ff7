"""A fitted estimator in a pymlp model file: the network's tensors, plus the
estimator's kind and fields (its parameters, classes and fitted records) as
JSON in the file's metadata; pymlp.serialization writes and reads the file.

Loading checks every field (types, values, and agreement with the network
read from the same file) and raises ValueError naming the problem, as
pymlp.load does for the rest of the file. What a file does not keep: a
random_state given as a RandomState instance (it is saved as None) and the
optimizer's state (a partial_fit after loading starts a new one)."""
import math
from numbers import Integral, Real

import numpy as np
from sklearn.preprocessing import LabelBinarizer

FIELDS_VERSION = 1
# JSON has no infinity or NaN: these stand for them in the fields
INFINITY, NAN = "inf", "nan"
CLASS_DTYPE_KINDS = "biufUO"  # bool, integers, floats, str, object


def _number(value):
    if isinstance(value, float) and math.isnan(value):
        return NAN
    if isinstance(value, float) and math.isinf(value):
        return INFINITY if value > 0 else "-" + INFINITY
    return value


def _from_number(value, what):
    if isinstance(value, str) and value in (NAN, INFINITY, "-" + INFINITY):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"the file's {what} is {value!r}, not a number")
    return value


def fields_of(est):
    """The JSON fields that describe a fitted estimator beside its
    network."""
    params = est.get_params()
    sizes = [int(s) for s in est._hidden_layer_sizes()]
    params["hidden_layer_sizes"] = (
        sizes if hasattr(params["hidden_layer_sizes"], "__iter__")
        else sizes[0])
    if not (params["random_state"] is None
            or isinstance(params["random_state"], Integral)):
        params["random_state"] = None
    params = {k: _number(v.item() if isinstance(v, np.generic) else v)
              for k, v in params.items()}
    fitted = {"n_iter_": int(est.n_iter_), "t_": int(est.t_),
              "loss_": _number(float(est.loss_)),
              "out_activation_": est.out_activation_}
    if hasattr(est, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(f) for f in est.feature_names_in_]
    if hasattr(est, "loss_curve_"):
        fitted["loss_curve_"] = [_number(float(v)) for v in est.loss_curve_]
        for name in ("best_loss_", "best_validation_score_"):
            value = getattr(est, name)
            fitted[name] = None if value is None else _number(float(value))
        scores = est.validation_scores_
        fitted["validation_scores_"] = (None if scores is None else
                                        [_number(float(v)) for v in scores])
    fields = {"version": FIELDS_VERSION, "params": params, "fitted": fitted}
    if hasattr(est, "classes_"):
        fields["classes"] = est.classes_.tolist()
        fields["classes_dtype"] = est.classes_.dtype.str
        fields["label_type"] = est._label_binarizer.y_type_
    return fields


def _expect(condition, message):
    if not condition:
        raise ValueError(message)


def estimator_from(cls, net, fields):
    """A fitted `cls` around `net` from `fields`, each checked."""
    _expect(fields.get("version") == FIELDS_VERSION,
            f"the file's estimator fields are of version "
            f"{fields.get('version')!r}; this pymlp reads {FIELDS_VERSION}")
    params, fitted = fields.get("params"), fields.get("fitted")
    _expect(isinstance(params, dict) and isinstance(fitted, dict),
            "the file's estimator fields lack params or fitted")
    known = cls().get_params()
    _expect(set(params) == set(known),
            f"the file's parameters {sorted(params)} are not those of "
            f"{cls.__name__} ({sorted(known)})")
    if params["n_iter_no_change"] == INFINITY:
        params["n_iter_no_change"] = np.inf
    if isinstance(params["hidden_layer_sizes"], list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    est = cls(**params)
    est._validate_params()  # scikit-learn's rules, as fit applies them
    hidden = est._hidden_layer_sizes()

    sizes = list(net.layer_sizes)
    _expect(sizes[1:-1] == hidden,
            f"the network's hidden layers {sizes[1:-1]} do not match "
            f"hidden_layer_sizes {hidden}")
    wanted = [est._hidden_activation()] * len(hidden) + ["identity"]
    _expect(list(net.activations) == wanted,
            f"the network's activations {list(net.activations)} do not "
            f"match activation={est.activation!r} ({wanted})")

    if "classes" in fields:
        _restore_classes(est, fields, sizes[-1])
    est.out_activation_ = est._output_activation()
    _expect(fitted.get("out_activation_") == est.out_activation_,
            f"the file's output activation "
            f"{fitted.get('out_activation_')!r} does not match "
            f"{est.out_activation_!r}")
    est.net_ = net
    est.coefs_, est.intercepts_ = net.weights, net.biases
    est.n_layers_, est.n_outputs_ = len(sizes), sizes[-1]
    est.n_features_in_ = sizes[0]
    est._best_params = net.params.copy()
    _restore_records(est, fitted)
    return est


def _restore_classes(est, fields, n_outputs):
    classes, dtype = fields["classes"], fields.get("classes_dtype")
    label_type = fields.get("label_type")
    _expect(isinstance(classes, list) and classes
            and all(isinstance(c, (str, int, float, bool)) for c in classes),
            f"the file's classes {classes!r} are not a list of labels")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    _expect(dtype is not None and dtype.kind in CLASS_DTYPE_KINDS,
            f"the file's classes dtype {fields.get('classes_dtype')!r} is "
            "not one of labels")
    classes = np.array(classes, dtype=dtype)
    binarizer = LabelBinarizer()
    if label_type == "multilabel-indicator":
        _expect(np.array_equal(classes, np.arange(len(classes)))
                and len(classes) >= 2,
                f"the file's multilabel classes are {classes!r}, not "
                "0, 1, ... n_labels - 1")
        binarizer.fit(np.eye(len(classes), dtype=int))
    else:
        binarizer.fit(classes)
    _expect(binarizer.y_type_ == label_type
            and np.array_equal(binarizer.classes_, classes),
            f"the file's classes {classes!r} do not make {label_type!r} "
            "labels")
    expected = 1 if label_type == "binary" else len(classes)
    _expect(n_outputs == expected,
            f"the network has {n_outputs} outputs, but {len(classes)} "
            f"{label_type} classes need {expected}")
    est._label_binarizer, est.classes_ = binarizer, binarizer.classes_


def _count(fitted, name):
    value = fitted.get(name)
    _expect(isinstance(value, Integral) and not isinstance(value, bool)
            and value >= 0,
            f"the file's {name} is {value!r}, not a count")
    return int(value)


def _restore_records(est, fitted):
    est.n_iter_, est.t_ = _count(fitted, "n_iter_"), _count(fitted, "t_")
    est.loss_ = _from_number(fitted.get("loss_"), "loss_")
    if "feature_names_in_" in fitted:
        names = fitted["feature_names_in_"]
        _expect(isinstance(names, list) and len(names) == est.n_features_in_
                and all(isinstance(n, str) for n in names),
                f"the file's feature names {names!r} are not "
                f"{est.n_features_in_} strings")
        est.feature_names_in_ = np.array(names, dtype=object)
    if "loss_curve_" not in fitted:
        return
    curve = fitted["loss_curve_"]
    _expect(isinstance(curve, list), "the file's loss_curve_ is not a list")
    est.loss_curve_ = [_from_number(v, "loss_curve_") for v in curve]
    est._no_improvement_count = 0
    for name in ("best_loss_", "best_validation_score_"):
        value = fitted.get(name)
        setattr(est, name, None if value is None else
                _from_number(value, name))
    scores = fitted.get("validation_scores_")
    _expect(scores is None or isinstance(scores, list),
            "the file's validation_scores_ is not a list")
    est.validation_scores_ = None if scores is None else [
        _from_number(v, "validation_scores_") for v in scores]
