"""A third-party plugin package, installed into a temporary location, is listed and trained with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO, pip_install, run_nnfw


def test_installed_example_plugin_is_listed_and_used_by_train(tmp_path: Path) -> None:
    source = shutil.copytree(REPO / "examples" / "nnfw-lion", tmp_path / "src")  # builds leave files
    env = pip_install(source, tmp_path / "site")

    listing = run_nnfw("list-plugins", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    lion = [p for p in json.loads(listing.stdout) if p["name"] == "lion"]
    assert lion == [{"name": "lion", "distribution": "nnfw-lion", "version": "0.1.0",
                     "status": "ok", "error": None, "warning": None,
                     "provides": {"optimizer": ["lion"]}}]

    trained = run_nnfw("train", "--optimizer", "lion", "--optimizer.b1", "0.95", "--lr", "0.01",
                       "--epochs", "5", "--out", str(tmp_path / "runs"), "--json", env=env)
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["settings"]["optimizer"] == "lion" and summary["epochs_run"] == 5
    history = (Path(summary["run_dir"]) / "history.csv").read_text().splitlines()
    losses = [float(row.split(",")[1]) for row in history[1:]]
    assert losses[-1] < losses[0]
