"""GBDT peers for bench/suites/gbdt.ts: train scikit-learn HistGradientBoostingClassifier or XGBoost
(tree_method='hist') on the CSV the suite writes and print one JSON line {auc, train_s, cpu_s, ...}
(train_s: wall seconds of fit incl. binning / DMatrix; cpu_s: process CPU seconds, all threads).

CSV columns: month, dow, hour, distance (numeric), origin, dest (integer category codes), y (0/1),
test (1 = test row). Usage: gbdt_peer.py sklearn|xgboost CSV [--threads N] [--rounds 300]
"""
import argparse
import json
import os
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("impl", choices=["sklearn", "xgboost"])
    ap.add_argument("csv")
    ap.add_argument("--threads", type=int, default=0, help="0 = library default (all cores)")
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    if args.threads > 0:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import numpy as np
    from sklearn.metrics import roc_auc_score

    data = np.loadtxt(args.csv, delimiter=",", skiprows=1, dtype=np.float64)
    X = data[:, :6].astype(np.float32)
    y = data[:, 6]
    test = data[:, 7] == 1
    Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]

    if args.impl == "sklearn":
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=args.rounds,
            max_leaf_nodes=31,
            min_samples_leaf=20,
            l2_regularization=0.0,
            max_bins=255,
            categorical_features=[4, 5],
            early_stopping=False,
            random_state=0,
        )
        t0 = time.perf_counter()
        c0 = time.process_time()
        model.fit(Xtr, ytr)
        train_s = time.perf_counter() - t0
        cpu_s = time.process_time() - c0
        proba = model.predict_proba(Xte)[:, 1]
        version = sklearn.__version__
    else:
        import xgboost as xgb

        types = ["q", "q", "q", "q", "c", "c"]
        t0 = time.perf_counter()
        c0 = time.process_time()
        dtr = xgb.DMatrix(Xtr, label=ytr, feature_types=types, enable_categorical=True)
        params = {
            "objective": "binary:logistic",
            "tree_method": "hist",
            "grow_policy": "lossguide",
            "max_leaves": 31,
            "max_depth": 0,
            "eta": 0.1,
            "max_bin": 255,
            "min_child_weight": 1e-3,
            "lambda": 0.0,
            "seed": 0,
        }
        if args.threads > 0:
            params["nthread"] = args.threads
        booster = xgb.train(params, dtr, num_boost_round=args.rounds)
        train_s = time.perf_counter() - t0
        cpu_s = time.process_time() - c0
        dte = xgb.DMatrix(Xte, feature_types=types, enable_categorical=True)
        proba = booster.predict(dte)
        version = xgb.__version__

    auc = float(roc_auc_score(yte, proba))
    print(json.dumps({"impl": args.impl, "version": version, "auc": auc, "train_s": train_s, "cpu_s": cpu_s,
                      "train_rows": int(len(ytr)), "test_rows": int(len(yte)), "threads": args.threads}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
