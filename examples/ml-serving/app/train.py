"""Trains the served model at image build time on iris (shipped with scikit-learn, so no download).

Writes model.joblib and meta.json into the directory given as the first argument. The model is a
scaled logistic regression: small, fast, and with probabilities to return.
"""
import json
import sys
from pathlib import Path

import joblib
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main(out: Path) -> None:
    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.2, random_state=42, stratify=iris.target)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=42))
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / "model.joblib")
    meta = {
        "model": "iris-logreg",
        "sklearn": sklearn.__version__,
        "feature_names": list(iris.feature_names),
        "class_names": [str(c) for c in iris.target_names],
        "test_accuracy": round(accuracy, 4),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"trained {meta['model']}: test accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "model"))
