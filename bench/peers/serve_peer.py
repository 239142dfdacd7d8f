"""Serving peer for bench/suites/serve.ts: FastAPI + uvicorn (one worker) serving a scikit-learn
HistGradientBoostingClassifier (300 rounds, 31 leaves, lr 0.1) trained at start on the CSV the suite
writes. POST /predict takes the same single-record JSON as Benchtop's /predict
({"date": ISO string, "origin", "destination", "distance"}) and answers {label, probability}.
No explanations: scikit-learn has no TreeSHAP, so this is compared with Benchtop's top_k=0 run too.

This is the lean peer: the request JSON goes to a numpy row by hand, straight into the bare classifier.
serve_peer_typical.py is the same model written the usual way (pydantic model, a pandas DataFrame per
request, a scikit-learn Pipeline), which is the reference issue 6 describes; the suite checks that both
answer the same probabilities. Keep the features and hyperparameters of the two in step.

CSV columns: date_ms, origin, destination, distance, y. Usage: serve_peer.py CSV PORT
Prints "READY" on stdout once listening.
"""
import datetime as dt
import os
import sys

# One OpenMP/BLAS thread, set before numpy/scikit-learn load. A single-row predict_proba gains nothing
# from threads, and on a loaded machine OpenMP's spin-waiting workers collapse throughput (measured
# here: 2 req/s with the default thread count while other processes ran, against ~300 quiet). This is
# how the peer would be deployed (one thread per uvicorn worker), so it is the fair comparison.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def main() -> int:
    csv, port = sys.argv[1], int(sys.argv[2])
    import numpy as np
    from fastapi import FastAPI, HTTPException, Request
    import uvicorn
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows = [line.rstrip("\n").split(",") for line in open(csv, encoding="utf-8").readlines()[1:]]
    airports = sorted({r[1] for r in rows} | {r[2] for r in rows})
    code = {a: i for i, a in enumerate(airports)}

    def features(date_ms: float, origin: str, dest: str, distance: float) -> list:
        t = dt.datetime.fromtimestamp(date_ms / 1000, dt.timezone.utc)
        return [t.month, t.weekday(), t.hour, distance, code.get(origin, len(airports)), code.get(dest, len(airports))]

    X = np.array([features(float(r[0]), r[1], r[2], float(r[3])) for r in rows], dtype=np.float64)
    y = np.array([float(r[4]) for r in rows])
    model = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
        early_stopping=False, categorical_features=[4, 5],
    ).fit(X, y)

    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request):
        try:
            rec = await request.json()
            ms = dt.datetime.fromisoformat(rec["date"].replace("Z", "+00:00")).timestamp() * 1000
            x = np.array([features(ms, rec["origin"], rec["destination"], float(rec["distance"]))])
        except Exception as e:  # noqa: BLE001 - a bad request is the client's problem
            raise HTTPException(status_code=400, detail=str(e)[:200])
        p = float(model.predict_proba(x)[0, 1])
        return {"label": "1" if p >= 0.5 else "0", "probability": p}

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    print("READY", flush=True)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
