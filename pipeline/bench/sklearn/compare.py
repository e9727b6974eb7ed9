#!/usr/bin/env python3
"""Compare tailor's k-means with scikit-learn's on the same matrices.

For every matrix (a two-dimensional float64 or float32 .npy file) it runs
scikit-learn's KMeans (k-means++ start, one initialisation, Lloyd's
algorithm) and `tailor cluster FILE.npy --scale none`, one after the other,
and prints a Markdown table: each tool's inertia, time and iterations and
how much tailor's inertia is above scikit-learn's. With --generate it first
writes two synthetic matrices (a Dirichlet mixture of personas and a
Gaussian mixture of varying spreads, see README.md) and compares them too.

It needs Python 3 with numpy and scikit-learn (Debian: python3-sklearn).
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("matrices", nargs="*", metavar="FILE.npy", help="matrices to cluster, one row per point")
    p.add_argument("--generate", metavar="DIR",
                   help="write the persona and Gaussian mixtures of --rows rows to DIR "
                        "(kept when already there) and compare them after FILE.npy")
    p.add_argument("--generate-only", action="store_true", help="with --generate: write the matrices and stop")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of each generated matrix")
    p.add_argument("--data-seed", type=int, default=20261206, help="seed of the generated matrices")
    p.add_argument("--k", type=int, default=1349, help="clusters")
    p.add_argument("--seed", default="1",
                   help="scikit-learn's random_state and tailor's --seed; several, comma-separated, "
                        "run both tools once per seed")
    p.add_argument("--max-iter", type=int, default=300, help="the cap on Lloyd iterations of both")
    p.add_argument("--tol", type=float, default=1e-4,
                   help="scikit-learn's tol: centre shift relative to the data's variance (its default)")
    p.add_argument("--tailor-tol", type=float,
                   help="tailor's --tol, the relative change of inertia it stops at (default: tailor's own)")
    p.add_argument("--tailor", default="tailor", help="the tailor binary")
    p.add_argument("--openblas-coretype", metavar="NAME",
                   help="set OPENBLAS_CORETYPE (such as Haswell or SkylakeX) before numpy loads OpenBLAS, "
                        "for a processor OpenBLAS does not recognise")
    p.add_argument("--no-check", action="store_true",
                   help="do not recompute both inertias with numpy from the assignments")
    a = p.parse_args()
    if not a.matrices and not a.generate:
        p.error("give FILE.npy matrices, --generate DIR, or both")
    if a.generate_only and not a.generate:
        p.error("--generate-only needs --generate DIR")
    if a.k < 1 or a.rows < 1 or a.max_iter < 1 or a.tol < 0 or (a.tailor_tol is not None and a.tailor_tol < 0):
        p.error("--k, --rows and --max-iter must be at least 1, --tol and --tailor-tol at least 0")
    try:
        a.seeds = [int(v) for v in a.seed.split(",")]
    except ValueError:
        p.error("--seed %s: want whole numbers, comma-separated" % a.seed)
    if min(a.seeds) < 0:
        p.error("--seed %s: want numbers of 0 or more" % a.seed)
    return a


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# Generated matrices.

def personas(n, seed, np):
    """A Dirichlet mixture of about 300 personas: 18 sparse interest shares
    and six behavioural columns, standardised and weighted as tailor weighs
    its own (D = 24)."""
    rng = np.random.default_rng(seed)
    npers, nint = 300, 18
    # Interests are not equally popular; a persona favours two to six.
    popularity = rng.dirichlet(np.full(nint, 1.5))
    means = np.zeros((npers, nint))
    for p in range(npers):
        idx = rng.choice(nint, size=rng.integers(2, 7), replace=False, p=popularity)
        means[p, idx] = rng.dirichlet(np.full(len(idx), 1.0))
    concentration = np.exp(rng.uniform(np.log(5), np.log(60), npers))
    # Uneven persona sizes: Zipf-like, in a random order.
    weights = rng.permutation(1.0 / np.arange(1, npers + 1) ** 0.9)
    weights /= weights.sum()
    who = rng.choice(npers, size=n, p=weights)

    alpha = concentration[who, None] * means[who]
    g = np.where(alpha > 0, rng.gamma(np.maximum(alpha, 1e-12)), 0.0)
    del alpha
    total = g.sum(axis=1, keepdims=True)
    # A draw that underflows everywhere goes to the persona's main interest.
    empty = total[:, 0] == 0
    g[empty, means[who[empty]].argmax(axis=1)] = 1.0
    shares = g / g.sum(axis=1, keepdims=True)
    del g
    # A third of the cardholders also spend a little outside their persona.
    stray = rng.random(n) < 1 / 3
    shares[np.flatnonzero(stray), rng.integers(nint, size=stray.sum())] += rng.exponential(0.05, stray.sum())
    # Shares under half a percent do not show in a profile.
    shares[shares < 0.005] = 0
    shares /= shares.sum(axis=1, keepdims=True)

    # Behaviour, around each persona's own levels.
    log_spend = rng.normal(rng.normal(7.0, 1.0, npers)[who], 0.7)
    active = np.maximum(1, rng.binomial(12, rng.beta(5, 2, npers)[who]))
    per_month = rng.lognormal(rng.normal(1.2, 0.5, npers)[who], 0.5)
    recency = np.minimum(365, rng.exponential(np.exp(rng.uniform(np.log(3), np.log(60), npers))[who]))
    trend = np.clip(rng.normal(rng.normal(0, 0.2, npers)[who], 0.3), -1, 1)
    online_mean = rng.uniform(0.05, 0.8, npers)[who]
    online = rng.beta(8 * online_mean, 8 * (1 - online_mean))
    behaviour = np.column_stack([log_spend, active, per_month, recency, trend, online])
    behaviour = (behaviour - behaviour.mean(axis=0)) / behaviour.std(axis=0)
    behaviour *= np.array([0.1, 0.1, 0.1, 0.05, 0.05, 0.1])
    return np.ascontiguousarray(np.hstack([shares, behaviour]), dtype=np.float64)


def gaussians(n, seed, np):
    """A mixture of 1,500 Gaussians in D = 24 with per-component standard
    deviations log-uniform over [0.05, 2] and uneven weights."""
    rng = np.random.default_rng(seed)
    comps, dim = 1500, 24
    centres = rng.normal(0, 4, size=(comps, dim))
    sd = np.exp(rng.uniform(np.log(0.05), np.log(2.0), comps))
    weights = rng.dirichlet(np.full(comps, 0.7))
    which = rng.choice(comps, size=n, p=weights)
    x = rng.standard_normal((n, dim))
    x *= sd[which, None]
    x += centres[which]
    return x


def generate(a, np):
    os.makedirs(a.generate, exist_ok=True)
    paths = []
    for name, make in (("personas", personas), ("gaussians", gaussians)):
        path = os.path.join(a.generate, "%s-%d-s%d.npy" % (name, a.rows, a.data_seed))
        if os.path.exists(path):
            log("keeping %s" % path)
        else:
            log("writing %s" % path)
            x = make(a.rows, a.data_seed, np)
            tmp = path + ".tmp.npy"
            np.save(tmp, x)
            os.replace(tmp, path)
        paths.append(path)
    return paths


# The two tools.

def run_sklearn(x, seed, a):
    from sklearn.cluster import KMeans
    km = KMeans(n_clusters=a.k, init="k-means++", n_init=1, algorithm="lloyd",
                max_iter=a.max_iter, tol=a.tol, random_state=seed)
    start = time.perf_counter()
    km.fit(x)
    took = time.perf_counter() - start
    return {"inertia": float(km.inertia_), "seconds": took, "iterations": int(km.n_iter_), "labels": km.labels_}


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)")
_UNIT = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def go_duration(s):
    """Seconds of a Go time.Duration as printed: "1m2.5s", "450ms"."""
    parts = _DURATION.findall(s)
    if not parts or "".join(v + u for v, u in parts) != s:
        raise ValueError("not a Go duration: %r" % s)
    return sum(float(v) * _UNIT[u] for v, u in parts)


def parse_tailor(out):
    """The figures tailor cluster prints."""
    m = re.search(r"^rows (\d+), dimensions (\d+), k (\d+), seed (\d+)$", out, re.M)
    t = re.search(r"^read (\S+), clustered in (\S+): (\d+) iterations \(converged: (true|false)\)$", out, re.M)
    i = re.search(r"^inertia (\S+) \(per row", out, re.M)
    if not (m and t and i):
        raise ValueError("unexpected output of tailor cluster:\n" + out)
    return {"rows": int(m.group(1)), "dim": int(m.group(2)), "read": go_duration(t.group(1)),
            "seconds": go_duration(t.group(2)), "iterations": int(t.group(3)),
            "converged": t.group(4) == "true", "inertia": float(i.group(1))}


def run_tailor(path, seed, a, np):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "assignments.csv")
        cmd = [a.tailor, "cluster", path, "--k", str(a.k), "--scale", "none", "--seed", str(seed),
               "--max-iterations", str(a.max_iter)]
        if a.tailor_tol is not None:
            cmd += ["--tol", repr(a.tailor_tol)]
        if not a.no_check:
            cmd += ["--out", out]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stderr))
        res = parse_tailor(p.stdout)
        if not a.no_check:
            res["labels"] = np.loadtxt(out, delimiter=",", skiprows=1, usecols=1, dtype=np.int64)
    return res


def inertia_of(x, labels, k, np):
    """The sum of squared distances of the rows to the means of their
    clusters, in float64."""
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, labels, x)
    means = sums / np.maximum(counts, 1)[:, None]
    total = 0.0
    for start in range(0, len(x), 1 << 16):
        d = x[start:start + (1 << 16)] - means[labels[start:start + (1 << 16)]]
        total += float(np.einsum("ij,ij->", d, d))
    return total


# The report.

def machine_line(a, np, sklearn, tailor_version):
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = ", " + line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = ""
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            if lib.get("internal_api") == "openblas":
                blas = ", OpenBLAS %s (%s kernels, %s threads)" % (lib.get("version"), lib.get("architecture"),
                                                                  lib.get("num_threads"))
    except ImportError:
        pass
    return "%s, %s, scikit-learn %s, numpy %s%s, Python %s, %s/%s, %d CPUs%s, load average %s" % (
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), tailor_version,
        sklearn.__version__, np.__version__, blas, platform.python_version(), sys.platform,
        platform.machine(), os.cpu_count(), model, loadavg())


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "unknown"


def num(v):
    """v to seven significant digits, without an exponent: "15,072,158",
    "26,240.27"."""
    digits = len(str(int(abs(v)))) if abs(v) >= 1 else 1
    return format(v, ",.%df" % max(0, 7 - digits))


def pct(r):
    return "%+.3f%%" % (100 * r)


def main():
    a = parse_args()
    if a.openblas_coretype:
        os.environ["OPENBLAS_CORETYPE"] = a.openblas_coretype
    import numpy as np

    paths = list(a.matrices)
    if a.generate:
        paths += generate(a, np)
        if a.generate_only:
            return 0
    import sklearn  # not needed to generate the matrices
    try:
        v = subprocess.run([a.tailor, "version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit("compare.py: %s: %s" % (a.tailor, e))

    print("# tailor and scikit-learn k-means\n")
    print(machine_line(a, np, sklearn, v) + ".\n")
    print("scikit-learn: `KMeans(n_clusters=%d, init=\"k-means++\", n_init=1, algorithm=\"lloyd\", max_iter=%d, "
          "tol=%g, random_state=SEED)`; tailor: `tailor cluster FILE.npy --k %d --scale none --seed SEED "
          "--max-iterations %d%s`. Time is the clustering alone (start and Lloyd iterations), "
          "reading the matrix left out; ratio is tailor's inertia / scikit-learn's - 1.\n"
          % (a.k, a.max_iter, a.tol, a.k, a.max_iter,
             "" if a.tailor_tol is None else " --tol %g" % a.tailor_tol))
    sys.stdout.flush()

    print("| matrix | N | D | K | seed | scikit-learn inertia | time | iterations | tailor inertia | time | iterations | ratio |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|", flush=True)
    checks = []
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        x = np.load(path)
        if x.ndim != 2:
            sys.exit("compare.py: %s: want a two-dimensional array, got shape %s" % (path, x.shape))
        x = np.ascontiguousarray(x, dtype=np.float64)
        n, d = x.shape
        for seed in a.seeds:
            log("%s: %d x %d, k = %d, seed %d: scikit-learn (load average %s)" % (name, n, d, a.k, seed, loadavg()))
            sk = run_sklearn(x, seed, a)
            log("  inertia %.10g, %.1f s, %d iterations" % (sk["inertia"], sk["seconds"], sk["iterations"]))
            log("%s: tailor (load average %s)" % (name, loadavg()))
            tl = run_tailor(path, seed, a, np)
            log("  inertia %.10g, %.1f s, %d iterations" % (tl["inertia"], tl["seconds"], tl["iterations"]))
            if (tl["rows"], tl["dim"]) != (n, d):
                sys.exit("compare.py: %s: tailor read %d x %d, numpy %d x %d" % (path, tl["rows"], tl["dim"], n, d))
            ratio = tl["inertia"] / sk["inertia"] - 1
            print("| %s | %s | %d | %s | %d | %s | %.1f s | %d%s | %s | %.1f s | %d%s | %s |" % (
                name, format(n, ","), d, format(a.k, ","), seed, num(sk["inertia"]), sk["seconds"], sk["iterations"],
                " (cap)" if sk["iterations"] >= a.max_iter else "",
                num(tl["inertia"]), tl["seconds"], tl["iterations"], "" if tl["converged"] else " (cap)", pct(ratio)), flush=True)
            if not a.no_check:
                ski, tli = inertia_of(x, sk["labels"], a.k, np), inertia_of(x, tl["labels"], a.k, np)
                checks.append("| %s | %d | %s | %s | %s |" % (name, seed, num(ski), num(tli), pct(tli / ski - 1)))
            del sk, tl
        del x

    if checks:
        print("\nThe same comparison from the assignments alone: each tool's inertia as numpy computes it "
              "(float64) from the tool's cluster of every row and the means of those clusters.\n")
        print("| matrix | seed | scikit-learn | tailor | ratio |")
        print("|---|--:|--:|--:|--:|")
        print("\n".join(checks))
    print("\nLoad average at the end: %s." % loadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
