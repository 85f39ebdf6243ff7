"""pymlp's scikit-learn estimators beside scikit-learn's own, side by side:
the same data, settings and thread count, each fit in a fresh process.

    python bench/estimators.py [--threads 2] [--repeats 5]
                               [--markdown bench/RESULTS.md]

Tasks (float64 input, Adam, batch 200, 100 epochs with early stopping off:
n_iter_no_change above max_iter, so both run every epoch):
  digits      MLPClassifier((100,)) on the 1797 x 64 digits, standardised,
              25% held out; score = held-out accuracy
  regression  MLPRegressor((64, 64)) on make_regression(4000, 20, noise=10),
              target standardised, 25% held out; score = held-out R^2

Each repeat runs every library once, alternating, in its own process
(``estimators.py --worker LIB TASK`` prints one JSON line); the table gives
medians over repeats and the ratio scikit-learn / pymlp of the fit times.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

from compare import cpu_model  # bench/ is the script's directory

TASKS = ("digits", "regression")
LIBRARIES = ("pymlp", "sklearn")
SETTINGS = dict(solver="adam", batch_size=200, max_iter=100,
                n_iter_no_change=1000, random_state=0)


def load_task(task):
    from sklearn.datasets import load_digits, make_regression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    if task == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        X, y = make_regression(4000, 20, noise=10.0, random_state=0)
        y = (y - y.mean()) / y.std()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train), scaler.transform(X_test), y_train,
            y_test)


def estimator(lib, task):
    if lib == "pymlp":
        from pymlp import MLPClassifier, MLPRegressor
    else:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    if task == "digits":
        return MLPClassifier(hidden_layer_sizes=(100,), **SETTINGS)
    return MLPRegressor(hidden_layer_sizes=(64, 64), **SETTINGS)


def worker(lib, task):
    """Fits once (after a short warm-up fit) and prints the JSON result."""
    from sklearn.exceptions import ConvergenceWarning
    X_train, X_test, y_train, y_test = load_task(task)
    warnings.simplefilter("ignore", ConvergenceWarning)
    estimator(lib, task).set_params(max_iter=2).fit(X_train, y_train)
    model = estimator(lib, task)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds,
                      "score": model.score(X_test, y_test),
                      "epochs": model.n_iter_}))


def run_worker(lib, task, threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", lib, task],
        env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results):
    lines = ["| task | scikit-learn fit | pymlp fit | ratio | scikit-learn "
             "score | pymlp score |", "|---|--:|--:|--:|--:|--:|"]
    for task in TASKS:
        med = {lib: statistics.median(r["seconds"] for r in results[task][lib])
               for lib in LIBRARIES}
        score = {lib: statistics.median(r["score"] for r in results[task][lib])
                 for lib in LIBRARIES}
        lines.append(f"| {task} | {med['sklearn']:.3f} s | {med['pymlp']:.3f}"
                     f" s | {med['sklearn'] / med['pymlp']:.1f}x | "
                     f"{score['sklearn']:.4f} | {score['pymlp']:.4f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "TASK"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", metavar="FILE",
                        help="append the table to FILE")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    results = {task: {lib: [] for lib in LIBRARIES} for task in TASKS}
    for repeat in range(args.repeats):
        for task in TASKS:
            for lib in LIBRARIES:
                results[task][lib].append(run_worker(lib, task, args.threads))
        print(f"repeat {repeat + 1}/{args.repeats} done", file=sys.stderr)
    import sklearn

    import pymlp
    heading = (f"### scikit-learn estimators ({datetime.date.today()})\n\n"
               f"{cpu_model()}, {os.cpu_count()} cores, {args.threads} "
               f"threads for both libraries; pymlp {pymlp.__version__}, "
               f"scikit-learn {sklearn.__version__}; medians of "
               f"{args.repeats} fits, each in its own process; ratio = "
               "scikit-learn's time / pymlp's.\n"
               "Command: `python bench/estimators.py --threads "
               f"{args.threads} --repeats {args.repeats}`\n")
    text = heading + "\n" + table(results) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
