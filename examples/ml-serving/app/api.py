"""The model-serving API: POST /predict (JSON in, JSON out) and GET /health.

POST /predict takes {"features": [[sepal_length, sepal_width, petal_length, petal_width], ...]}
and answers {"predictions": [{"class": "setosa", "probabilities": {"setosa": 0.98, ...}}, ...]}.
"""
import json
import math
import os
from pathlib import Path

import joblib
from flask import Flask, jsonify, request

MODEL_DIR = Path(os.environ.get("MODEL_DIR", "model"))
MAX_ROWS = 1000

app = Flask(__name__)
model = joblib.load(MODEL_DIR / "model.joblib")
meta = json.loads((MODEL_DIR / "meta.json").read_text())
n_features = len(meta["feature_names"])
class_names = meta["class_names"]


def bad_request(message: str):
    return jsonify({"error": message}), 400


def parse_features(body):
    """Returns the rows to predict, or an error message naming what is wrong."""
    if not isinstance(body, dict) or "features" not in body:
        return None, 'the body must be a JSON object with a "features" list'
    rows = body["features"]
    if not isinstance(rows, list) or not rows:
        return None, '"features" must be a non-empty list of rows'
    if len(rows) > MAX_ROWS:
        return None, f'"features" has {len(rows)} rows; at most {MAX_ROWS} per request'
    for i, row in enumerate(rows):
        if (not isinstance(row, list) or len(row) != n_features or
                not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                        for v in row)):
            return None, f"features[{i}] must be a list of {n_features} finite numbers ({', '.join(meta['feature_names'])})"
    return rows, None


@app.get("/health")
def health():
    return jsonify({"status": "ok", "model": meta["model"]})


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    rows, error = parse_features(body)
    if error:
        return bad_request(error)
    probabilities = model.predict_proba(rows)
    predictions = []
    for p in probabilities:
        best = max(range(len(p)), key=lambda k: p[k])
        predictions.append({
            "class": class_names[best],
            "probabilities": {name: round(float(v), 4) for name, v in zip(class_names, p)},
        })
    return jsonify({"model": meta["model"], "predictions": predictions})
