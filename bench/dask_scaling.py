"""pymlp.dask on a local cluster: rows per second with one and two worker
processes (one thread each), full batch and mini-batches, for the mnist
and wide shapes, beside MLP.fit in this process on one thread; and the
cost of an update that computes almost nothing (8 rows), which is the
round trip itself: the scheduler's tasks, the parameters scattered to each
worker, the gradients sent up the tree and gathered; and, apart, a no-op
task's round trip and the scatter of the parameters alone.

    python bench/dask_scaling.py [--quick] [--markdown FILE]

The data is random (normal inputs, uniform labels; float32, cross-entropy,
Adam), generated on the workers in 4 partitions and persisted before the
clock starts. An update's time is the difference between epoch-end times
reported by callbacks, divided by the updates between them, so the fit's
setup (checking and converting the rows once) is left out.
"""
import argparse
import os
import platform
import time

import numpy as np

SHAPES = {"mnist": [784, 256, 256, 10], "wide": [784, 1024, 1024, 10]}
PARTITIONS = 4


def per_update(fit, updates_per_epoch, epochs):
    """Seconds per update of fit(callbacks=...), from the 2nd epoch on."""
    stamps = []
    fit(callbacks=[lambda epoch, logs: stamps.append(time.perf_counter())],
        epochs=epochs)
    return (stamps[-1] - stamps[0]) / ((epochs - 1) * updates_per_epoch)


def _nothing():
    return None


def median_seconds(call, repeats=7):
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def transport(client, P):
    """(seconds of a no-op task's submit and gather, seconds to scatter P
    float32 values to every worker): the floor of a round trip, and the
    parameters' part of it."""
    params = np.zeros(P, dtype=np.float32)
    task = median_seconds(lambda: client.submit(_nothing,
                                                pure=False).result())
    scatter = median_seconds(lambda: client.scatter(params, broadcast=True,
                                                    hash=False))
    return task, scatter


def measure(client, workers, name, rows, batch, epochs):
    import dask.array as da
    import pymlp
    import pymlp.dask
    sizes = SHAPES[name]
    rng = da.random.default_rng(0)
    X = rng.standard_normal((rows, sizes[0]), chunks=(rows // PARTITIONS,
                                                      sizes[0]),
                            dtype=np.float32).persist()
    y = rng.integers(0, sizes[-1], rows,
                     chunks=rows // PARTITIONS).persist()
    net = pymlp.MLP(sizes, dtype="float32", seed=0)
    P = net.n_params
    task_seconds, scatter_seconds = transport(client, P)
    results = []
    for label, B in (("full batch", None), (f"batch {batch}", batch),
                     ("batch 8 (round trip)", 8)):
        updates = 1 if B is None else -(-rows // B)
        n_epochs = epochs if B is None else 3
        if B == 8:  # 64 rows in 4 partitions, 8 per update (2 of each)
            Xs = X[:16 * PARTITIONS].rechunk(16)
            ys = y[:16 * PARTITIONS].rechunk(16)
            updates, n_epochs = 8, 3
        else:
            Xs, ys = X, y

        def fit(**kwargs):
            return pymlp.dask.fit(net.copy(), Xs, ys, loss="cross_entropy",
                                  optimizer=pymlp.Adam(1e-3), batch_size=B,
                                  seed=0, client=client, **kwargs)
        seconds = per_update(fit, updates, n_epochs)
        used = Xs.shape[0] if B is None else min(B, Xs.shape[0])
        results.append(dict(
            shape=name, workers=workers, mode=label, seconds=seconds,
            rows_per_s=used / seconds,
            # the parameters scattered to each worker, and the partitions'
            # gradient sums sent up the tree (the root's to the driver)
            scatter_bytes=P * 4 * workers,
            # each worker's sum goes up the tree, the root's to the driver
            gradient_bytes=P * 4 * workers,
            task_seconds=task_seconds, scatter_seconds=scatter_seconds))
    return results


def local_rate(name, rows, batch):
    """MLP.fit in this process, one thread: rows per second."""
    import pymlp
    sizes = SHAPES[name]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], rows)
    rates = {}
    for label, B in (("full batch", None), (f"batch {batch}", batch)):
        net = pymlp.MLP(sizes, dtype="float32", seed=0, n_threads=1)
        opt = pymlp.Adam(1e-3)
        net.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=1,
                batch_size=B)
        start = time.perf_counter()
        net.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=2,
                batch_size=B)
        rates[label] = 2 * rows / (time.perf_counter() - start)
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--markdown", help="append the tables to this file")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    import pymlp
    plan = {"mnist": (8192, 512, 4), "wide": (2048, 256, 3)}
    if args.quick:
        plan = {"mnist": (2048, 256, 3), "wide": (512, 128, 3)}
    began = time.time()
    load = os.getloadavg()
    results = []
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1,
                          processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            for name, (rows, batch, epochs) in plan.items():
                results += measure(client, workers, name, rows, batch, epochs)
    local = {name: local_rate(name, rows, batch)
             for name, (rows, batch, _) in plan.items()}

    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}; run took "
        f"{time.time() - began:.0f} s",
        f"- machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} logical CPUs, shared with other work; "
        f"pymlp SIMD {pymlp.build_info()['simd']}",
        "- LocalCluster(n_workers=1 or 2, threads_per_worker=1, "
        "processes=True): the engine runs on one thread per worker "
        "(Dask sets OMP_NUM_THREADS=1 in its workers); driver, scheduler "
        "and workers share the 2 cores",
        f"- data: float32, cross-entropy, Adam, {PARTITIONS} partitions; "
        "rows: " + ", ".join(f"{k} {v[0]}" for k, v in plan.items()),
        "",
        f"- load average (1 min) at the start and the end: "
        f"{load[0]:.1f}, {os.getloadavg()[0]:.1f}",
        "",
        "| shape | mode | workers | s per update | rows/s | "
        "MLP.fit rows/s (1 thread) | scattered MB/update | "
        "gradient sums MB/update |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        base = local[r["shape"]].get(r["mode"])
        lines.append(
            f"| {r['shape']} | {r['mode']} | {r['workers']} | "
            f"{r['seconds'] * 1e3:.1f} ms | {r['rows_per_s']:,.0f} | "
            f"{'-' if base is None else f'{base:,.0f}'} | "
            f"{r['scatter_bytes'] / 1e6:.2f} | "
            f"{r['gradient_bytes'] / 1e6:.2f} |")
    lines += ["", "| shape | workers | no-op task, submit to result | "
              "scatter of the parameters to every worker |",
              "|---|--:|--:|--:|"]
    for r in results[::3]:
        lines.append(f"| {r['shape']} | {r['workers']} | "
                     f"{r['task_seconds'] * 1e3:.1f} ms | "
                     f"{r['scatter_seconds'] * 1e3:.1f} ms |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
