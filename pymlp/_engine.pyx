# Cython layer of pymlp: typed memoryviews in, C pointers out, GIL released
# around every call into csrc/. No policy lives here: the Python layer has
# already validated values, chosen the batch size, the thread count and the
# chunking, and allocated the outputs. What C would read or write out of
# bounds is checked here once more, with Python's integers so that no size
# overflows: every array's dtype (native byte order), contiguity and shape
# against the network, and every size the scratch depends on. Float32 and
# float64 share one source through the `floating` fused type, with the
# branch taken once per call at this boundary.
from cpython.exc cimport PyErr_CheckSignals
from cpython.pycapsule cimport PyCapsule_New
from cython cimport floating
from libc.stdint cimport int64_t, uint64_t, uintptr_t
from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc

import numpy as np

cimport numpy as cnp
from pymlp._cengine cimport *
from pymlp.embed cimport (PYMLP_EMBED_API_VERSION, PYMLP_EMBED_CAPSULE,
                          pymlp_embed_api)

cnp.import_array()

SIMD_NAMES = ("generic", "avx2", "avx512")
# The names of the engine's codes; the numbers themselves are C's (pymlp.h).
ACTIVATIONS = {
    "identity": PYMLP_IDENTITY, "relu": PYMLP_RELU,
    "leaky_relu": PYMLP_LEAKY_RELU, "sigmoid": PYMLP_SIGMOID,
    "tanh": PYMLP_TANH, "softplus": PYMLP_SOFTPLUS, "gelu": PYMLP_GELU,
    "step": PYMLP_STEP,
}
LOSSES = {
    "mse": PYMLP_MSE, "mae": PYMLP_MAE, "huber": PYMLP_HUBER,
    "cross_entropy": PYMLP_CROSS_ENTROPY,
    "binary_cross_entropy": PYMLP_BINARY_CROSS_ENTROPY,
    "half_squared_error": PYMLP_HALF_SQUARED_ERROR,
    "binary_log_loss": PYMLP_BINARY_LOG_LOSS, "poisson": PYMLP_POISSON,
}
OPTIMIZER_KINDS = {"sgd": PYMLP_SGD, "adam": PYMLP_ADAM,
                   "adamw": PYMLP_ADAMW, "sgd_sklearn": PYMLP_SGD_SKLEARN,
                   "adam_sklearn": PYMLP_ADAM_SKLEARN}
# every code named once (a code added in C must be named here)
assert sorted(ACTIVATIONS.values()) == list(range(PYMLP_N_ACTIVATIONS))
assert sorted(LOSSES.values()) == list(range(PYMLP_N_LOSSES))
assert sorted(OPTIMIZER_KINDS.values()) == list(range(PYMLP_N_OPTIMIZERS))
# The most elements of any buffer sized from a network (parameters, rows
# times widths): far beyond any memory, and far enough below 2**63 that
# the engine's int64 sums and products of such sizes cannot overflow.
MAX_ELEMENTS = 1 << 48
DIVERGENCE_FACTOR = PYMLP_DIVERGENCE_FACTOR
cdef enum:
    PREDICT_STACK_BYTES = 16384  # scratch of predict kept on the C stack
    # checks of fewer values keep the GIL: releasing it costs more
    NOGIL_ELEMENTS = 16384

# The table of pymlp's stable C API (csrc/pymlp_embed.h), exported as the
# capsule _C_API: other extensions fetch it with pymlp_import() and call
# the engine through it, without linking to this module.
cdef pymlp_embed_api _embed_api
_embed_api.version = PYMLP_EMBED_API_VERSION
_embed_api.n_params = pymlp_n_params
_embed_api.predict_work_len_f32 = pymlp_predict_work_len_f32
_embed_api.predict_work_len_f64 = pymlp_predict_work_len_f64
_embed_api.predict_f32 = pymlp_predict_f32
_embed_api.predict_f64 = pymlp_predict_f64
_C_API = PyCapsule_New(<void *>&_embed_api, PYMLP_EMBED_CAPSULE, NULL)


def _aligned_empty(int64_t n, dtype):
    """An uninitialised 1-D array of n elements whose data is 64-byte
    aligned (the C scratch buffers need it)."""
    cdef int itemsize = np.dtype(dtype).itemsize
    raw = np.empty(n + 64 // itemsize, dtype=dtype)
    cdef const unsigned char[::1] data = raw.view(np.uint8)
    cdef uintptr_t address = <uintptr_t>&data[0]
    cdef int64_t start = ((64 - address % 64) % 64) // itemsize
    return raw[start:start + n]


cdef void *_scratch(int64_t n, size_t itemsize, void **raw) noexcept nogil:
    """n elements of scratch aligned to 64 bytes; free(*raw) releases it.
    NULL when out of memory."""
    raw[0] = malloc(<size_t>n * itemsize + 64)
    if raw[0] == NULL:
        return NULL
    return <void *>((<uintptr_t>raw[0] + 63) & ~(<uintptr_t>63))


cdef int MAX_THREADS = 4096


cdef _check_threads(int n_threads):
    if not 1 <= n_threads <= MAX_THREADS:
        raise ValueError(f"n_threads must lie in [1, {MAX_THREADS}], got "
                         f"{n_threads}")


cdef class NetSpec:
    """The architecture as the C engine reads it: n[0..L] and codes."""
    cdef pymlp_net net
    cdef readonly object sizes, activations
    cdef readonly int64_t widest  # the widest layer

    def __init__(self, sizes, activation_codes):
        sizes, codes = list(sizes), list(activation_codes)
        if len(sizes) < 2 or len(codes) != len(sizes) - 1:
            raise ValueError(f"{len(sizes)} widths and {len(codes)} "
                             "activations do not make a network")
        if any(not 1 <= int(n) <= MAX_ELEMENTS for n in sizes):
            raise ValueError(f"layer widths must lie in [1, 2**48], got "
                             f"{sizes}")
        if any(not 0 <= int(c) < PYMLP_N_ACTIVATIONS for c in codes):
            raise ValueError(f"unknown activation codes in {codes}")
        n_params = sum((int(sizes[l]) + 1) * int(sizes[l + 1])
                       for l in range(len(codes)))
        if n_params > MAX_ELEMENTS:
            raise ValueError(f"a network of widths {sizes} would have "
                             f"{n_params} parameters: too large (the limit "
                             "is 2**48)")
        self.sizes = np.ascontiguousarray(sizes, dtype=np.int64)
        self.activations = np.ascontiguousarray(codes, dtype=np.intc)
        self.widest = max(int(n) for n in sizes)
        cdef const int64_t[::1] s = self.sizes
        cdef const int[::1] a = self.activations
        self.net.n_layers = a.shape[0]
        self.net.sizes = &s[0]
        self.net.activations = &a[0]

    def n_params(self):
        return pymlp_n_params(&self.net)

    def check_rows(self, rows):
        """ValueError unless `rows` rows of every layer fit the engine's
        sizes."""
        if not 1 <= rows or rows * self.widest > MAX_ELEMENTS:
            raise ValueError(f"{rows} rows of width {self.widest} are too "
                             "many for one call (the limit is 2**48 values)")

    def work_len(self, int64_t batch, int n_threads, dtype):
        self.check_rows(batch)
        if np.dtype(dtype) == np.float32:
            return pymlp_work_len_f32(&self.net, batch, n_threads)
        return pymlp_work_len_f64(&self.net, batch, n_threads)


def predict(NetSpec spec, cnp.ndarray params, X, int64_t chunk,
            int n_threads):
    """network(X) as a new (n, n[L]) array, `chunk` rows at a time; None
    when X is not ready to be read as it is: an ndarray of params' dtype
    (native byte order), C-contiguous, 2-D with n >= 1 rows of n[0]
    values, aligned, all finite. One call does what a single row
    costs."""
    cdef int typenum = cnp.PyArray_TYPE(params)
    _check_params(spec, params, typenum)
    _check_threads(n_threads)
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if type(X) is not cnp.ndarray:
        return None
    cdef cnp.ndarray x = <cnp.ndarray>X
    if (cnp.PyArray_TYPE(x) != typenum or not cnp.PyArray_ISNOTSWAPPED(x)
            or cnp.PyArray_NDIM(x) != 2 or cnp.PyArray_DIM(x, 0) == 0
            or cnp.PyArray_DIM(x, 1) != spec.net.sizes[0]
            or not cnp.PyArray_IS_C_CONTIGUOUS(x)
            or not cnp.PyArray_ISALIGNED(x) or not _finite(x, typenum)):
        return None
    cdef size_t itemsize = 4 if typenum == cnp.NPY_FLOAT32 else 8
    cdef int64_t n = cnp.PyArray_DIM(x, 0)
    cdef cnp.npy_intp dims[2]
    dims[0] = n
    dims[1] = spec.net.sizes[spec.net.n_layers]
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(2, dims, typenum, 0)
    cdef const void *p = cnp.PyArray_DATA(params)
    cdef const void *xs = cnp.PyArray_DATA(x)
    cdef void *o = cnp.PyArray_DATA(out)
    chunk = min(chunk, n)
    cdef int64_t work_len = (
        pymlp_predict_work_len_f32(&spec.net, chunk, n_threads)
        if itemsize == 4 else
        pymlp_predict_work_len_f64(&spec.net, chunk, n_threads))
    # small networks' scratch lives on the stack: no allocation per row
    cdef unsigned char on_stack[PREDICT_STACK_BYTES + 64]
    cdef void *raw = NULL
    cdef void *work
    with nogil:
        if work_len * itemsize <= PREDICT_STACK_BYTES:
            work = <void *>((<uintptr_t>on_stack + 63) & ~(<uintptr_t>63))
        else:
            work = _scratch(work_len, itemsize, &raw)
        if work != NULL:
            if itemsize == 4:
                pymlp_predict_f32(&spec.net, <const float *>p,
                                  <const float *>xs, n, <float *>o, chunk,
                                  <float *>work, n_threads)
            else:
                pymlp_predict_f64(&spec.net, <const double *>p,
                                  <const double *>xs, n, <double *>o, chunk,
                                  <double *>work, n_threads)
        free(raw)
    if work == NULL:
        raise MemoryError("no memory for the scratch of predict")
    return out


def loss_grad(NetSpec spec, int loss, const floating[::1] params,
              const floating[:, ::1] X, const floating[:, ::1] y_values,
              const int64_t[::1] y_labels, const floating[::1] sample_weight,
              double l2, floating[::1] grad, int n_threads):
    """Loss over the batch X, rows weighted by sample_weight (B) unless it
    is None, plus the L2 penalty l2; grad (P) OUT unless grad is None. The
    targets are y_values (B, n[L]) or, for cross-entropy, y_labels (B)."""
    cdef int64_t B = X.shape[0]
    _check_threads(n_threads)
    _check_batch(spec, loss, B, params.shape[0], X.shape[1], y_values,
                 y_labels)
    if grad is not None and grad.shape[0] != params.shape[0]:
        raise ValueError("grad must have the length of params")
    if sample_weight is not None and sample_weight.shape[0] != B:
        raise ValueError(f"sample_weight must have {B} values")
    if not l2 >= 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    cdef const floating *sw = NULL
    if sample_weight is not None:
        sw = &sample_weight[0]
    cdef const void *y = (<const void *>&y_labels[0] if y_values is None
                          else <const void *>&y_values[0, 0])
    cdef floating *g = NULL if grad is None else &grad[0]
    cdef double value = 0.0
    cdef void *raw
    cdef floating *work
    with nogil:
        if floating is float:
            work = <float *>_scratch(
                pymlp_work_len_f32(&spec.net, B, n_threads), sizeof(float),
                &raw)
            if work != NULL:
                value = pymlp_loss_grad_f32(&spec.net, loss, &params[0],
                                            &X[0, 0], y, sw, B, l2, g, work,
                                            n_threads)
        else:
            work = <double *>_scratch(
                pymlp_work_len_f64(&spec.net, B, n_threads), sizeof(double),
                &raw)
            if work != NULL:
                value = pymlp_loss_grad_f64(&spec.net, loss, &params[0],
                                            &X[0, 0], y, sw, B, l2, g, work,
                                            n_threads)
        free(raw)
    if work == NULL:
        raise MemoryError("no memory for the scratch of loss_grad")
    return value


cdef _check_params(NetSpec spec, cnp.ndarray params, int typenum):
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        raise ValueError("params must be float32 or float64")
    if (not cnp.PyArray_ISNOTSWAPPED(params)
            or not cnp.PyArray_IS_C_CONTIGUOUS(params)
            or cnp.PyArray_NDIM(params) != 1
            or cnp.PyArray_DIM(params, 0) != pymlp_n_params(&spec.net)):
        raise ValueError(f"params must be a contiguous 1-D array of "
                         f"{pymlp_n_params(&spec.net)} values in native "
                         "byte order")


cdef _check_batch(NetSpec spec, int loss, int64_t B, int64_t n_params,
                  int64_t width, y_values, y_labels):
    """ValueError unless a batch of B rows (X of `width` columns) and its
    targets have the shapes the network and the loss read."""
    cdef int L = spec.net.n_layers
    if not 0 <= loss < PYMLP_N_LOSSES:
        raise ValueError(f"unknown loss code {loss}")
    if n_params != pymlp_n_params(&spec.net):
        raise ValueError("params do not match the network")
    if B < 1 or width != spec.net.sizes[0]:
        raise ValueError(f"X must have shape (n >= 1, {spec.net.sizes[0]})")
    spec.check_rows(B)
    if loss == PYMLP_CROSS_ENTROPY:
        if y_labels is None or y_labels.shape[0] != B:
            raise ValueError(f"cross-entropy needs {B} int64 labels")
        if not _labels_in_range(y_labels, spec.net.sizes[L]):
            raise ValueError(f"labels must lie in [0, {spec.net.sizes[L]})")
    elif (y_values is None or y_values.shape[0] != B
          or y_values.shape[1] != spec.net.sizes[L]):
        raise ValueError(f"y must have shape ({B}, {spec.net.sizes[L]})")


cdef bint _labels_in_range(const int64_t[::1] labels, int64_t n_classes):
    cdef int64_t i
    cdef bint ok = True
    with nogil:
        for i in range(labels.shape[0]):
            ok &= 0 <= labels[i] < n_classes
    return ok


cdef pymlp_optimizer _optimizer_struct(dict hyper, int64_t step) except *:
    """The C optimizer from hyper = {kind, lr, momentum, nesterov, beta1,
    beta2, eps, weight_decay} (absent keys are 0) and the step count."""
    cdef pymlp_optimizer opt
    opt.kind = hyper["kind"]
    opt.lr = hyper.get("lr", 0.0)
    opt.momentum = hyper.get("momentum", 0.0)
    opt.nesterov = hyper.get("nesterov", False)
    opt.beta1 = hyper.get("beta1", 0.0)
    opt.beta2 = hyper.get("beta2", 0.0)
    opt.eps = hyper.get("eps", 0.0)
    opt.weight_decay = hyper.get("weight_decay", 0.0)
    opt.step = step
    return opt


def state_per_param(dict hyper):
    """Optimizer state values kept per parameter (momentum, moments)."""
    cdef pymlp_optimizer opt = _optimizer_struct(hyper, 0)
    return pymlp_optimizer_state_per_param(&opt)


def optimizer_step(dict hyper, int64_t step, floating[::1] params,
                   const floating[::1] grad, floating[::1] state,
                   int n_threads):
    """One update of params from grad; returns the new step count."""
    cdef pymlp_optimizer opt = _optimizer_struct(hyper, step)
    cdef floating *s = NULL if state.shape[0] == 0 else &state[0]
    cdef int64_t P = params.shape[0]
    with nogil:
        if floating is float:
            pymlp_optimizer_step_f32(&opt, &params[0], &grad[0], s, P,
                                     n_threads)
        else:
            pymlp_optimizer_step_f64(&opt, &params[0], &grad[0], s, P,
                                     n_threads)
    return opt.step


cdef class Trainer:
    """The buffers of one fit and the C loop over its mini-batches.

    Holds references to every array it points into, so they outlive it.
    A network keeps its Trainer between fits: restart() points it at the
    next fit's data (of the same shapes), which costs what fit_init does
    and no more, and release() lets go of the data when a fit ends."""
    cdef NetSpec spec
    cdef pymlp_fit_f32 fit32
    cdef pymlp_fit_f64 fit64
    cdef pymlp_optimizer opt
    cdef bint is_double
    cdef readonly int64_t n_batches, batch_size
    cdef object keep  # the buffers the C struct points into
    cdef object data  # (X, y, sample_weight) while bound, else None
    # what restart() must find again, and the buffers it points at
    cdef int loss, typenum
    cdef bint labels, weighted, bound
    cdef int64_t n, state_len
    cdef int n_threads
    cdef void *params
    cdef void *grad
    cdef void *snapshot
    cdef void *opt_state
    cdef void *opt_snapshot
    cdef void *work
    cdef int64_t *order

    def __init__(self, NetSpec spec, int loss, X, y, sample_weight,
                 double l2, int64_t batch_size, bint shuffle, uint64_t seed,
                 params, grad, snapshot, work, opt_state, opt_snapshot,
                 dict hyper, int64_t step, int n_threads):
        """sample_weight has X's rows or is None; grad and snapshot have
        params' length, opt_snapshot that of opt_state; work has
        spec.work_len(batch_size, n_threads) elements, 64-byte aligned."""
        self.spec = spec
        self.opt = _optimizer_struct(hyper, step)
        self.is_double = params.dtype == np.float64
        n = X.shape[0]
        P = params.shape[0]
        _check_threads(n_threads)
        _check_params(spec, params, cnp.PyArray_TYPE(params))
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must lie in [1, {n}]")
        _check_batch(spec, loss, batch_size, P, X.shape[1],
                     None if y.ndim == 1 else y[:batch_size],
                     y[:batch_size] if y.ndim == 1 else None)
        if y.shape[0] != n:
            raise ValueError("X and y must have the same number of rows")
        if sample_weight is not None and sample_weight.shape[0] != n:
            raise ValueError(f"sample_weight must have {n} values")
        if not l2 >= 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        if (loss == PYMLP_CROSS_ENTROPY
                and not _labels_in_range(y, spec.net.sizes[spec.net.n_layers])):
            raise ValueError("labels out of range")
        if grad.shape[0] != P or snapshot.shape[0] != P:
            raise ValueError("grad and snapshot must match params")
        state_len = P * pymlp_optimizer_state_per_param(&self.opt)
        if (opt_state.shape[0] != state_len
                or opt_snapshot.shape[0] != state_len):
            raise ValueError(f"the optimizer state and its snapshot must "
                             f"have {state_len} values")
        if (work.shape[0] < spec.work_len(batch_size, n_threads, params.dtype)
                or <uintptr_t>cnp.PyArray_DATA(<cnp.ndarray>work) % 64):
            raise ValueError("work is too short or not 64-byte aligned")
        self.n_batches = (n + batch_size - 1) // batch_size
        self.batch_size = batch_size
        self.loss = loss
        self.n = n
        self.labels = y.ndim == 1
        self.weighted = sample_weight is not None
        self.state_len = state_len
        self.n_threads = n_threads
        order = np.empty(n, dtype=np.int64)
        self.keep = (params, opt_state, opt_snapshot, grad, snapshot, order,
                     work)
        cdef int typenum = (cnp.NPY_FLOAT64 if self.is_double
                            else cnp.NPY_FLOAT32)
        self.typenum = typenum
        self.params = _data(params, typenum, "params")
        self.grad = _data(grad, typenum, "grad")
        self.snapshot = _data(snapshot, typenum, "snapshot")
        self.opt_state = NULL
        self.opt_snapshot = NULL
        if state_len > 0:
            self.opt_state = _data(opt_state, typenum, "opt_state")
            self.opt_snapshot = _data(opt_snapshot, typenum, "opt_snapshot")
        self.work = _data(work, typenum, "work")
        self.order = <int64_t *>_data(order, cnp.NPY_INT64, "order")
        self._bind(X, y, sample_weight, l2, shuffle, seed)

    cdef _bind(self, X, y, sample_weight, double l2, bint shuffle,
               uint64_t seed):
        """fit_init over X, y and sample_weight (checked by the caller)."""
        cdef int typenum = self.typenum
        cdef void *x = _data(X, typenum, "X")
        cdef const void *t = _data(y, cnp.NPY_INT64 if self.labels
                                   else typenum, "y")
        cdef const void *sw = (NULL if sample_weight is None else
                               _data(sample_weight, typenum, "sample_weight"))
        self.data = (X, y, sample_weight)
        if self.is_double:
            pymlp_fit_init_f64(&self.fit64, &self.spec.net, self.loss,
                               <double *>x, t, <const double *>sw, l2,
                               self.n, self.batch_size, shuffle, seed,
                               <double *>self.params, <double *>self.grad,
                               <double *>self.snapshot,
                               <double *>self.opt_state,
                               <double *>self.opt_snapshot, &self.opt,
                               self.order, <double *>self.work,
                               self.n_threads)
        else:
            pymlp_fit_init_f32(&self.fit32, &self.spec.net, self.loss,
                               <float *>x, t, <const float *>sw, l2,
                               self.n, self.batch_size, shuffle, seed,
                               <float *>self.params, <float *>self.grad,
                               <float *>self.snapshot,
                               <float *>self.opt_state,
                               <float *>self.opt_snapshot, &self.opt,
                               self.order, <float *>self.work,
                               self.n_threads)
        self.bound = True

    def restart(self, X, y, sample_weight, double l2, bint shuffle,
                uint64_t seed, dict hyper, int64_t step):
        """Starts a new run, exactly as a new Trainer given these arguments
        and this one's others (network, loss, batch size, buffers, thread
        count) would: X, y and sample_weight must have the shapes and
        dtypes of the first run's (the network's dtype, int64 labels for
        cross-entropy, C-contiguous)."""
        cdef int64_t L = self.spec.net.n_layers
        cdef int64_t classes = self.spec.net.sizes[L]
        if not (_ready(X, self.typenum, 2, self.n, self.spec.net.sizes[0])
                and (_ready(y, cnp.NPY_INT64, 1, self.n, 0) if self.labels
                     else _ready(y, self.typenum, 2, self.n, classes))
                and (_ready(sample_weight, self.typenum, 1, self.n, 0)
                     if self.weighted else sample_weight is None)):
            raise ValueError("restart takes data of the shapes and dtypes "
                             "the Trainer was built for")
        if self.labels and not _labels_ok(
                <const int64_t *>cnp.PyArray_DATA(<cnp.ndarray>y), self.n,
                classes):
            raise ValueError("labels out of range")
        if not l2 >= 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        cdef pymlp_optimizer opt = _optimizer_struct(hyper, step)
        cdef int64_t P = pymlp_n_params(&self.spec.net)
        if P * pymlp_optimizer_state_per_param(&opt) != self.state_len:
            raise ValueError("the optimizer keeps state of another length "
                             "than the Trainer's")
        self.opt = opt
        self._bind(X, y, sample_weight, l2, shuffle, seed)

    def release(self):
        """Lets go of the data: the Trainer keeps its buffers only, and
        runs nothing until restart() gives it data again."""
        self.bound = False
        self.data = None

    cdef _check_bound(self):
        if not self.bound:
            raise ValueError("the Trainer holds no data: call restart()")

    @property
    def step(self):
        """Optimizer updates done so far (carried over from the start)."""
        return self.opt.step

    def epoch_begin(self):
        self._check_bound()
        with nogil:
            if self.is_double:
                pymlp_fit_epoch_begin_f64(&self.fit64)
            else:
                pymlp_fit_epoch_begin_f32(&self.fit32)

    cdef volatile int *_stop_flag(self):
        return &self.fit64.stop if self.is_double else &self.fit32.stop

    cdef bint _catch(self, bint catch_sigint):
        return catch_sigint and pymlp_catch_sigint(self._stop_flag())

    cdef _after(self, bint caught):
        """Gives SIGINT back; when the call stopped for it, raises what
        Python's handler makes of it (KeyboardInterrupt)."""
        if caught:
            pymlp_release_sigint()
        if self._stop_flag()[0]:
            PyErr_CheckSignals()
            raise KeyboardInterrupt

    def run_batches(self, int64_t first, int64_t last,
                    bint catch_sigint=False):
        """Batches [first, last) of the epoch. With catch_sigint (main
        thread, Python's default handler), Ctrl-C stops the call before its
        next update and raises KeyboardInterrupt."""
        self._check_bound()
        if not 0 <= first <= last <= self.n_batches:
            raise ValueError(f"batches [{first}, {last}) are not in "
                             f"[0, {self.n_batches})")
        cdef bint caught = self._catch(catch_sigint)
        with nogil:
            if self.is_double:
                pymlp_fit_batches_f64(&self.fit64, first, last)
            else:
                pymlp_fit_batches_f32(&self.fit32, first, last)
        self._after(caught)

    def epoch_end(self):
        """(mean loss of the epoch, its L2 penalty's part, whether the
        epoch did not diverge; if it did, the parameters and the optimizer
        were restored)."""
        self._check_bound()
        cdef int finite
        cdef double value, penalty
        with nogil:
            if self.is_double:
                value = pymlp_fit_epoch_end_f64(&self.fit64, &finite)
                penalty = self.fit64.penalty_sum / self.fit64.n_samples
            else:
                value = pymlp_fit_epoch_end_f32(&self.fit32, &finite)
                penalty = self.fit32.penalty_sum / self.fit32.n_samples
        return value, penalty, bool(finite)

    def run_epochs(self, int64_t count, list losses, list penalties,
                   bint catch_sigint=False):
        """Up to `count` whole epochs: appends the mean loss of each epoch
        that ended without diverging to losses, and its L2 penalty's part
        to penalties; returns how many did (stops at the first that
        diverged). catch_sigint as in run_batches."""
        self._check_bound()
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        cdef double one[2]  # a single epoch, the common case, needs no heap
        cdef double *values = one
        if count > 1:
            values = <double *>malloc(2 * <size_t>count * sizeof(double))
            if values == NULL:
                raise MemoryError("no memory for the epochs' losses")
        cdef int64_t i, done = 0
        cdef bint caught = self._catch(catch_sigint)
        try:
            with nogil:
                if self.is_double:
                    done = pymlp_fit_epochs_f64(&self.fit64, count, values,
                                                values + count)
                else:
                    done = pymlp_fit_epochs_f32(&self.fit32, count, values,
                                                values + count)
            self._after(caught)
            for i in range(done):
                losses.append(values[i])
                penalties.append(values[count + i])
        finally:
            if values != one:
                free(values)
        return done


cdef bint _ready(object a, int typenum, int ndim, int64_t rows,
                 int64_t cols):
    """a is an ndarray (not a subclass) of typenum in native byte order,
    C-contiguous, aligned to its items, of shape (rows, cols) when ndim is
    2, (rows,) when 1."""
    if type(a) is not cnp.ndarray:
        return False
    cdef cnp.ndarray x = <cnp.ndarray>a
    return (cnp.PyArray_TYPE(x) == typenum and cnp.PyArray_ISNOTSWAPPED(x)
            and cnp.PyArray_NDIM(x) == ndim and cnp.PyArray_DIM(x, 0) == rows
            and (ndim == 1 or cnp.PyArray_DIM(x, 1) == cols)
            and cnp.PyArray_IS_C_CONTIGUOUS(x) and cnp.PyArray_ISALIGNED(x))


cdef bint _labels_ok(const int64_t *labels, int64_t n,
                     int64_t n_classes) noexcept nogil:
    cdef int64_t i
    cdef bint ok = True
    for i in range(n):
        ok &= 0 <= labels[i] < n_classes
    return ok


cdef bint _within(const floating *v, int64_t n, double low,
                  double high) noexcept nogil:
    """Every v[i] lies in [low, high] (NaN does not)."""
    cdef int64_t i
    cdef bint ok = True
    for i in range(n):
        ok &= (low <= v[i]) & (v[i] <= high)
    return ok


cdef bint _any_positive(const floating *v, int64_t n) noexcept nogil:
    cdef int64_t i
    cdef bint any = False
    for i in range(n):
        any |= v[i] > 0
    return any


cdef bint _values_within(const void *data, int64_t n, int typenum,
                         double low, double high) noexcept nogil:
    if typenum == cnp.NPY_FLOAT32:
        return (pymlp_all_finite_f32(<const float *>data, n) != 0
                and _within(<const float *>data, n, low, high))
    return (pymlp_all_finite_f64(<const double *>data, n) != 0
            and _within(<const double *>data, n, low, high))


cdef bint _values_ok(cnp.ndarray a, int typenum, double low,
                     double high):
    """Every value of the float array a (typenum) is finite and in [low,
    high]."""
    cdef int64_t n = cnp.PyArray_SIZE(a)
    cdef const void *data = cnp.PyArray_DATA(a)
    cdef bint ok
    if n <= NOGIL_ELEMENTS:
        return _values_within(data, n, typenum, low, high)
    with nogil:
        ok = _values_within(data, n, typenum, low, high)
    return ok


def fit_ready(NetSpec spec, int loss, cnp.ndarray params, X, y,
              sample_weight):
    """Whether X, y and sample_weight are ready to train on as they are,
    so that the Python layer's checks and conversions would return them
    unchanged: X a C-contiguous, aligned (n >= 1, n[0]) array of params' dtype,
    finite; y (n, n[L]) of that dtype, finite and in the loss's range, or
    for cross-entropy (n,) int64 labels in [0, n[L]); sample_weight None or
    (n,) of that dtype, finite, non-negative, not all 0. False sends the
    caller to those checks, which convert or say what is wrong."""
    cdef int typenum = cnp.PyArray_TYPE(params)
    cdef int L = spec.net.n_layers
    cdef int64_t O = spec.net.sizes[L]
    if type(X) is not cnp.ndarray or cnp.PyArray_NDIM(<cnp.ndarray>X) != 2:
        return False
    cdef int64_t n = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    if (n < 1 or not _ready(X, typenum, 2, n, spec.net.sizes[0])
            or not _finite(<cnp.ndarray>X, typenum)):
        return False
    cdef double low = -INFINITY, high = INFINITY
    if loss == PYMLP_CROSS_ENTROPY:
        if (not _ready(y, cnp.NPY_INT64, 1, n, 0) or not _labels_ok(
                <const int64_t *>cnp.PyArray_DATA(<cnp.ndarray>y), n, O)):
            return False
    else:
        if loss == PYMLP_BINARY_CROSS_ENTROPY or loss == PYMLP_BINARY_LOG_LOSS:
            low, high = 0.0, 1.0
        elif loss == PYMLP_POISSON:
            low = 0.0
        if (not _ready(y, typenum, 2, n, O)
                or not _values_ok(<cnp.ndarray>y, typenum, low, high)):
            return False
    if sample_weight is None:
        return True
    if (not _ready(sample_weight, typenum, 1, n, 0) or not _values_ok(
            <cnp.ndarray>sample_weight, typenum, 0.0, INFINITY)):
        return False
    cdef const void *w = cnp.PyArray_DATA(<cnp.ndarray>sample_weight)
    if typenum == cnp.NPY_FLOAT32:
        return _any_positive(<const float *>w, n)
    return _any_positive(<const double *>w, n)


cdef void *_data(cnp.ndarray a, int typenum, str name) except NULL:
    """The data of a C-contiguous array of type typenum (the Python layer
    makes them so; checked here because C would read anything)."""
    if (cnp.PyArray_TYPE(a) != typenum or not cnp.PyArray_IS_C_CONTIGUOUS(a)
            or not cnp.PyArray_ISNOTSWAPPED(a) or not cnp.PyArray_ISALIGNED(a)
            or cnp.PyArray_SIZE(a) == 0):
        raise ValueError(f"{name} must be a non-empty C-contiguous, aligned "
                         f"array of {cnp.PyArray_DescrFromType(typenum)} in "
                         "native byte order")
    return cnp.PyArray_DATA(a)


cdef int _all_finite(const void *data, int64_t n, int typenum) noexcept nogil:
    if typenum == cnp.NPY_FLOAT32:
        return pymlp_all_finite_f32(<const float *>data, n)
    return pymlp_all_finite_f64(<const double *>data, n)


cdef bint _finite(cnp.ndarray x, int typenum):
    """Every value of the C-contiguous array x of type typenum is finite."""
    cdef const void *data = cnp.PyArray_DATA(x)
    cdef int64_t n = cnp.PyArray_SIZE(x)
    cdef int result = 1
    if 0 < n <= NOGIL_ELEMENTS:
        result = _all_finite(data, n, typenum)
    elif n > 0:
        with nogil:
            result = _all_finite(data, n, typenum)
    return result != 0


def all_finite(cnp.ndarray x):
    """True when every value of the C-contiguous float32 or float64 array
    x (any shape) is finite."""
    cdef int typenum = cnp.PyArray_TYPE(x)
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        raise ValueError("all_finite takes float32 or float64 arrays")
    if not cnp.PyArray_IS_C_CONTIGUOUS(x):
        raise ValueError("all_finite takes C-contiguous arrays")
    return _finite(x, typenum)


def gemm(const floating[:, ::1] A, bint trans_a, const floating[:, ::1] B,
         bint trans_b, floating[:, ::1] C, int n_threads):
    """C OUT = op(A) @ op(B), op transposing when asked (by strides, with
    no copy). Exposes the engine's product for tests and benchmarks."""
    cdef int64_t M = C.shape[0], N = C.shape[1]
    cdef int64_t K = A.shape[0] if trans_a else A.shape[1]
    cdef int64_t rsa = 1 if trans_a else A.shape[1]
    cdef int64_t csa = A.shape[1] if trans_a else 1
    cdef int64_t rsb = 1 if trans_b else B.shape[1]
    cdef int64_t csb = B.shape[1] if trans_b else 1
    work_dtype = np.float32 if floating is float else np.float64
    cdef floating[::1] work = _aligned_empty(
        pymlp_gemm_work_len(M, N, K, n_threads, sizeof(floating)), work_dtype)
    with nogil:
        if floating is float:
            pymlp_gemm_f32(M, N, K, &A[0, 0], rsa, csa, &B[0, 0], rsb, csb,
                           &C[0, 0], N, &work[0], n_threads)
        else:
            pymlp_gemm_f64(M, N, K, &A[0, 0], rsa, csa, &B[0, 0], rsb, csb,
                           &C[0, 0], N, &work[0], n_threads)


def fma_peak(int64_t iterations, dtype):
    """Floating-point operations done by `iterations` rounds of independent
    vector FMAs at the current SIMD level, without the GIL; time the call
    to get the core's peak rate (a benchmark's yardstick)."""
    cdef double flops
    cdef bint is_double = np.dtype(dtype) == np.float64
    with nogil:
        if is_double:
            flops = pymlp_fma_peak_f64(iterations)
        else:
            flops = pymlp_fma_peak_f32(iterations)
    return flops


def simd_detected():
    return SIMD_NAMES[pymlp_simd_detected()]


def simd_level():
    return SIMD_NAMES[pymlp_simd_level()]


def set_simd(name):
    return SIMD_NAMES[pymlp_set_simd(SIMD_NAMES.index(name))]


cdef extern from "internal.h" nogil:
    int pymlp_set_portable_kernels(int on) noexcept


def set_portable_kernels(bint on):
    """For the tests: with `on`, the selected SIMD level's products use the
    portable micro-kernel instead of the level's own, the reference it is
    compared with. Returns the previous setting."""
    return bool(pymlp_set_portable_kernels(on))


def has_openmp():
    return bool(pymlp_has_openmp())


def max_threads():
    return pymlp_max_threads()


def default_threads():
    return pymlp_default_threads()
