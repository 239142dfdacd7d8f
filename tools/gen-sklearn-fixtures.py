#!/usr/bin/python3
"""Reference values for src/core/eval (Benchtop's evaluation metrics), computed with scikit-learn.

Run with Debian's python (apt-get install -y python3-sklearn):
    /usr/bin/python3 tools/gen-sklearn-fixtures.py
Writes tests/fixtures/sklearn/metrics.json; src/core/eval/__tests__/sklearn.test.ts compares every
value to 1e-9. Arrays are fixed (seeded numpy), with ties, tiny and single-class cases, multiclass
with an absent class, and regression with zeros (MAPE undefined in Benchtop: null).

Where scikit-learn has no function (gains/lift, expected calibration error, expected value per 1,000
cases and the best threshold), the reference is a direct numpy computation from the definition.
"""
import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_recall_curve,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    roc_curve,
    top_k_accuracy_score,
)

warnings.simplefilter("ignore")
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "sklearn", "metrics.json")
COSTS = {"tp": 40.0, "fp": -10.0, "fn": -25.0, "tn": 0.0}
THRESHOLDS = [0.3, 0.5, 0.65]


def fl(a):
    return [float(x) for x in np.asarray(a, dtype=float)]


def maybe(f):
    try:
        v = float(f())
        return v if math.isfinite(v) else None
    except ValueError:
        return None


def ev_per_1000(y, p, t):
    pos = p >= t
    tp = np.sum(pos & (y == 1)); fp = np.sum(pos & (y == 0))
    fn = np.sum(~pos & (y == 1)); tn = np.sum(~pos & (y == 0))
    return float((tp * COSTS["tp"] + fp * COSTS["fp"] + fn * COSTS["fn"] + tn * COSTS["tn"]) / len(y) * 1000)


def binary_case(name, y, p):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    both = len(np.unique(y)) == 2
    case = {"name": name, "y": fl(y), "p": fl(p)}
    case["roc_auc"] = maybe(lambda: roc_auc_score(y, p)) if both else None
    case["average_precision"] = float(average_precision_score(y, p)) if y.sum() > 0 else None
    case["log_loss"] = float(log_loss(y, p, labels=[0, 1]))
    case["brier"] = float(brier_score_loss(y, p, pos_label=1))
    if both:
        for drop in (True, False):
            fpr, tpr, th = roc_curve(y, p, drop_intermediate=drop)
            # thresholds[0] is max+1 in scikit-learn 1.2 (inf from 1.3): Benchtop uses +Infinity.
            case["roc_curve" if drop else "roc_curve_full"] = {"fpr": fl(fpr), "tpr": fl(tpr), "thresholds": fl(th[1:])}
    if y.sum() > 0:
        prec, rec, th = precision_recall_curve(y, p)
        case["pr_curve"] = {"precision": fl(prec), "recall": fl(rec), "thresholds": fl(th)}
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    bins = np.linspace(0.0, 1.0, 11)
    binids = np.searchsorted(bins[1:-1], p)
    counts = np.bincount(binids, minlength=10)
    counts = counts[counts != 0]
    case["calibration"] = {
        "observed": fl(prob_true),
        "predicted": fl(prob_pred),
        "count": fl(counts),
        "ece": float(np.sum(counts / len(y) * np.abs(prob_true - prob_pred))),
    }
    case["at"] = []
    for t in THRESHOLDS:
        pred = (p >= t).astype(int)
        tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
        case["at"].append({
            "threshold": t,
            "tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn),
            "accuracy": float(accuracy_score(y, pred)),
            "precision": float(precision_score(y, pred, zero_division=0)),
            "recall": float(recall_score(y, pred, zero_division=0)),
            "f1": float(f1_score(y, pred, zero_division=0)),
            "ev_per_1000": ev_per_1000(y, p, t),
        })
    # Gains / lift at each distinct score, highest first (ties together), from the definition.
    if y.sum() > 0:
        g = []
        for s in np.unique(p)[::-1]:
            sel = p >= s
            frac = sel.mean()
            gain = y[sel].sum() / y.sum()
            g.append({"fraction": float(frac), "gain": float(gain), "lift": float(gain / frac)})
        case["gains"] = g
    # Best threshold by brute force over every unique score and +inf (ties: the highest threshold).
    cands = [math.inf] + sorted(np.unique(p).tolist(), reverse=True)
    best_t, best_v = None, -math.inf
    for t in cands:
        v = ev_per_1000(y, p, t)
        if v > best_v:
            best_t, best_v = t, v
    case["best_threshold"] = {"threshold": None if math.isinf(best_t) else best_t, "value": best_v}
    return case


def multiclass_case(name, y, P):
    y = np.asarray(y, dtype=int)
    P = np.asarray(P, dtype=float)
    k = P.shape[1]
    pred = np.argmax(P, axis=1)
    labels = list(range(k))
    pr, rc, f1, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    cm = confusion_matrix(y, pred, labels=labels)
    return {
        "name": name,
        "k": k,
        "y": fl(y),
        "p": fl(P.ravel()),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y, pred, average="weighted", zero_division=0)),
        "top2": float(top_k_accuracy_score(y, P, k=2, labels=labels)),
        "top3": float(top_k_accuracy_score(y, P, k=3, labels=labels)),
        "log_loss": float(log_loss(y, P, labels=labels)),
        "per_class": {"precision": fl(pr), "recall": fl(rc), "f1": fl(f1), "support": fl(sup)},
        "confusion": [fl(r) for r in cm],
        "confusion_true": [fl(r) for r in confusion_matrix(y, pred, labels=labels, normalize="true")],
    }


def regression_case(name, y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return {
        "name": name,
        "y": fl(y),
        "p": fl(p),
        "rmse": float(math.sqrt(mean_squared_error(y, p))),
        "mae": float(mean_absolute_error(y, p)),
        "r2": None if np.all(y == y[0]) else float(r2_score(y, p)),
        # scikit-learn divides by max(|y|, eps) and returns a huge number when y has zeros; Benchtop: undefined.
        "mape": None if np.any(y == 0) else float(mean_absolute_percentage_error(y, p)),
    }


def main():
    rng = np.random.default_rng(20240611)
    binary = []
    binary.append(binary_case(
        "ties",
        [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0],
        [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.65, 0.2, 0.65, 0.7, 0.05],
    ))
    p = np.round(rng.beta(2, 3, 200), 2)
    y = (rng.random(200) < p).astype(int)
    binary.append(binary_case("random200_rounded", y, p))
    p = rng.random(150)
    y = (rng.random(150) < 0.15 + 0.6 * p).astype(int)
    binary.append(binary_case("random150", y, p))
    binary.append(binary_case("tiny", [0, 1], [0.3, 0.7]))
    binary.append(binary_case("tiny_reversed", [1, 0, 0], [0.2, 0.6, 0.6]))
    binary.append(binary_case("extremes", [0, 1, 1, 0, 1], [0.0, 1.0, 0.0, 1.0, 0.5]))
    binary.append(binary_case("all_positive", [1, 1, 1, 1], [0.2, 0.9, 0.5, 0.5]))
    binary.append(binary_case("all_negative", [0, 0, 0], [0.1, 0.7, 0.3]))

    multiclass = []
    P = rng.dirichlet([1.5, 1, 1, 0.7], 150)
    y = np.array([rng.choice(4, p=row) for row in P])
    multiclass.append(multiclass_case("dirichlet150", y, P))
    P = np.round(rng.dirichlet([2, 2, 2], 60), 1)  # rounded: ties in the top-k order, rows not summing to 1
    P = np.clip(P, 0.0, 1.0)
    P[P.sum(axis=1) == 0] = [1 / 3, 1 / 3, 1 / 3]
    y = rng.integers(0, 3, 60)
    multiclass.append(multiclass_case("rounded_ties", y, P))
    # Class 3 neither in y nor predicted; class 2 predicted but absent from y.
    multiclass.append(multiclass_case(
        "absent_class",
        [0, 1, 1, 0, 1, 0],
        [[0.7, 0.1, 0.1, 0.1], [0.2, 0.5, 0.2, 0.1], [0.1, 0.2, 0.6, 0.1],
         [0.4, 0.4, 0.1, 0.1], [0.3, 0.6, 0.05, 0.05], [0.25, 0.25, 0.4, 0.1]],
    ))

    regression = []
    x = rng.normal(0, 1, 200)
    yv = 3 * x + rng.normal(0, 1, 200) + 10
    regression.append(regression_case("linear200", yv, 3 * x + 10 + rng.normal(0, 0.5, 200)))
    regression.append(regression_case("with_zeros", [0.0, 2.0, 3.5, 0.0, 5.0], [0.5, 1.5, 3.0, -0.2, 6.0]))
    regression.append(regression_case("tiny", [1.0, 2.0], [1.5, 1.5]))
    regression.append(regression_case("constant", [2.0, 2.0, 2.0], [1.0, 2.0, 3.0]))

    doc = {
        "generator": "tools/gen-sklearn-fixtures.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "costs": COSTS,
        "thresholds": THRESHOLDS,
        "binary": binary,
        "multiclass": multiclass,
        "regression": regression,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
