"""pymlp on a Dask cluster: training and prediction on Dask arrays and
DataFrames whose rows stay on the workers (`pip install "pymlp[dask]"`)::

    from distributed import Client
    import pymlp.dask

    client = Client("scheduler-address:8786")
    history = pymlp.dask.fit(net, X, y, loss="mse", optimizer="adam",
                             epochs=10, batch_size=4096)
    y_hat = pymlp.dask.predict(net, X)          # a Dask array

See fit for what each update does and costs."""
try:
    import dask.array  # noqa: F401  (checks that the extra is installed)
    import distributed  # noqa: F401
except ImportError as error:  # pragma: no cover
    raise ImportError(f"pymlp.dask needs Dask with distributed ({error}); "
                      "install the extra: pip install 'pymlp[dask]'"
                      ) from error

from pymlp.dask._fit import fit
from pymlp.dask._predict import predict, predict_proba

__all__ = ["fit", "predict", "predict_proba"]
