"""Bridges from pymlp's networks and estimators to other tools: ONNX
(pymlp.export.onnx) and PyTorch (pymlp.export.torch). Each needs an
optional extra and imports it where it is used."""
