"""Olist low-review peers for bench/suites/olist.ts: train scikit-learn HistGradientBoostingClassifier or
XGBoost (tree_method='hist') on the CSV(s) the suite writes (Benchtop's encoded feature matrix and a
split of it) and print one JSON line per CSV {csv, auc, train_s, cpu_s, samples_s, ...}.

Several CSVs in one call (the suite's repeated splits: one CSV per split, since the feature pipeline is
fitted on each split's own training rows) are trained one after the other in this one process, so
Python and the libraries start once.

train_s: median wall seconds of `--repeats` fits, incl. binning / DMatrix; cpu_s: median process CPU
seconds (all threads) of those fits. AUC on the test part (part == 2); the valid part (1) is unused.
CSV columns: q<j> (numeric, 'nan' = missing) or c<j> (integer category codes), then y (0/1), part
(0 train, 1 valid, 2 test).
Usage: olist_peer.py sklearn|xgboost CSV [CSV ...] [--threads N] [--rounds 200] [--learning-rate 0.05]
       [--leaves 15] [--min-leaf 20] [--repeats 5] [--pred-out PATH] [--pred-dir DIR]
--pred-out (one CSV only): the test probabilities, one per line in test-row order.
--pred-dir: the same for every CSV, as DIR/<CSV file name without .csv>.<impl>.txt.
"""
import argparse
import json
import os
import statistics
import sys
import time


def run_one(path, args):
    import numpy as np
    from sklearn.metrics import roc_auc_score

    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64)
    nfeat = len(header) - 2
    cat = [h.startswith("c") for h in header[:nfeat]]
    X = data[:, :nfeat].astype(np.float32)
    y = data[:, nfeat]
    part = data[:, nfeat + 1]
    tr, te = part == 0, part == 2
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]

    walls, cpus = [], []
    proba = None
    if args.impl == "sklearn":
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier

        for _ in range(args.repeats):
            model = HistGradientBoostingClassifier(
                learning_rate=args.learning_rate,
                max_iter=args.rounds,
                max_leaf_nodes=args.leaves,
                min_samples_leaf=args.min_leaf,
                l2_regularization=0.0,
                max_bins=255,
                categorical_features=np.array(cat),
                early_stopping=False,
                random_state=0,
            )
            t0 = time.perf_counter()
            c0 = time.process_time()
            model.fit(Xtr, ytr)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        proba = model.predict_proba(Xte)[:, 1]
        version = sklearn.__version__
    else:
        import xgboost as xgb

        types = ["c" if c else "q" for c in cat]
        params = {
            "objective": "binary:logistic",
            "tree_method": "hist",
            "grow_policy": "lossguide",
            "max_leaves": args.leaves,
            "max_depth": 0,
            "eta": args.learning_rate,
            "max_bin": 255,
            "min_child_weight": 1e-3,
            "lambda": 0.0,
            "seed": 0,
        }
        if args.threads > 0:
            params["nthread"] = args.threads
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            c0 = time.process_time()
            dtr = xgb.DMatrix(Xtr, label=ytr, feature_types=types, enable_categorical=True)
            booster = xgb.train(params, dtr, num_boost_round=args.rounds)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        dte = xgb.DMatrix(Xte, feature_types=types, enable_categorical=True)
        proba = booster.predict(dte)
        version = xgb.__version__

    auc = float(roc_auc_score(yte, proba))
    result = {"csv": path, "impl": args.impl, "version": version, "auc": auc,
              "train_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
              "samples_s": walls, "train_rows": int(len(ytr)), "test_rows": int(len(yte)),
              "threads": args.threads}
    return result, proba


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("impl", choices=["sklearn", "xgboost"])
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--threads", type=int, default=0, help="0 = library default (all cores)")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--learning-rate", type=float, default=0.05)
    ap.add_argument("--leaves", type=int, default=15)
    ap.add_argument("--min-leaf", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pred-out", help="one CSV only: write its test probabilities here, one per line")
    ap.add_argument("--pred-dir", help="write each CSV's test probabilities to DIR/<name>.<impl>.txt")
    args = ap.parse_args()
    if args.pred_out and len(args.csv) > 1:
        ap.error("--pred-out takes one CSV; use --pred-dir with several")
    if args.threads > 0:
        # Before numpy / sklearn / xgboost are imported: OpenMP reads these once, at load.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import numpy as np

    for path in args.csv:
        result, proba = run_one(path, args)
        if args.pred_out:
            np.savetxt(args.pred_out, proba, fmt="%.9g")
        if args.pred_dir:
            name = os.path.basename(path)
            if name.endswith(".csv"):
                name = name[:-4]
            np.savetxt(os.path.join(args.pred_dir, f"{name}.{args.impl}.txt"), proba, fmt="%.9g")
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
