"""Serving peer for bench/suites/serve.ts, written the way such a service typically is (the reference
issue 6 describes: "FastAPI + scikit-learn ... mostly per-request dataframe overhead"): a pydantic
request model, a pandas DataFrame built per request, and a fitted scikit-learn Pipeline
(ColumnTransformer: date -> month/weekday/hour, distance passed through, origin/destination through an
OrdinalEncoder as native categoricals; then HistGradientBoostingClassifier, 300 rounds, 31 leaves,
lr 0.1), trained at start on the CSV the suite writes. POST /predict takes the same single-record JSON
as Benchtop's /predict ({"date": ISO string, "origin", "destination", "distance"}) and answers
{label, probability}. No explanations.

It is the same model as serve_peer.py (the lean, hand-written numpy peer): the same six features in the
same order, the same hyperparameters, unseen airports treated as missing in both; the suite checks that
both answer the same probabilities on the same requests.

CSV columns: date_ms, origin, destination, distance, y. Usage: serve_peer_typical.py CSV PORT
Prints "READY" on stdout once listening.
"""
import datetime as dt
import os
import sys

# One OpenMP/BLAS thread, set before numpy/scikit-learn load. A single-row predict_proba gains nothing
# from threads, and on a loaded machine OpenMP's spin-waiting workers collapse throughput (measured
# here with the lean peer: 2 req/s with the default thread count while other processes ran, against
# ~300 quiet). This is how the peer would be deployed (one thread per uvicorn worker), so it is the
# fair comparison.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def date_parts(X):
    """date column -> month, weekday, hour (UTC), as the lean peer computes them."""
    import numpy as np
    import pandas as pd

    d = pd.to_datetime(X.iloc[:, 0], utc=True)
    return np.column_stack([d.dt.month, d.dt.weekday, d.dt.hour]).astype(np.float64)


def build_pipeline():
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

    features = ColumnTransformer(
        [
            ("date", FunctionTransformer(date_parts), ["date"]),
            ("distance", "passthrough", ["distance"]),
            # Unknown airports -> NaN, which HistGradientBoosting treats as missing, as it treats the
            # lean peer's out-of-range code for an unseen airport.
            (
                "airports",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                ["origin", "destination"],
            ),
        ]
    )
    model = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
        early_stopping=False, categorical_features=[4, 5],
    )
    return Pipeline([("features", features), ("model", model)])


def main() -> int:
    csv, port = sys.argv[1], int(sys.argv[2])
    import pandas as pd
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    train = pd.read_csv(csv)
    train["date"] = pd.to_datetime(train["date_ms"], unit="ms", utc=True)
    pipeline = build_pipeline().fit(train[["date", "origin", "destination", "distance"]], train["y"])

    class Flight(BaseModel):
        date: dt.datetime
        origin: str
        destination: str
        distance: float

    class Prediction(BaseModel):
        label: str
        probability: float

    app = FastAPI()

    # A plain `def`: FastAPI's advice for blocking library calls (it runs them in its thread pool so
    # the event loop stays free), as such services are usually written.
    @app.post("/predict", response_model=Prediction)
    def predict(record: Flight) -> Prediction:
        # pydantic 1.10 (Debian's, which FastAPI 0.92 requires): .dict() is v2's model_dump().
        df = pd.DataFrame([record.dict()])
        p = float(pipeline.predict_proba(df)[0, 1])
        return Prediction(label="1" if p >= 0.5 else "0", probability=p)

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    print("READY", flush=True)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
