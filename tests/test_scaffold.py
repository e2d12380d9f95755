"""nnfw new-plugin: a package for every kind that installs, passes its own tests and is listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import pip_install, run_nnfw
from nnfw.plugin.kinds import KINDS


def test_a_new_plugin_of_every_kind_passes_its_own_tests_unchanged(tmp_path: Path) -> None:
    folders = []
    for kind in KINDS:
        folder = tmp_path / f"nnfw-my-{kind}"
        made = run_nnfw("new-plugin", str(folder), "--kind", kind)
        assert made.returncode == 0, made.stderr
        assert {p.name for p in folder.iterdir()} >= {"pyproject.toml", "README.md", "tests"}
        folders.append(folder)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([*map(str, folders), os.environ.get("PYTHONPATH", "")])}
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             *(str(f / "tests") for f in folders)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert f"{2 * len(KINDS)} passed" in tested.stdout


def test_a_new_plugin_installs_is_listed_and_trains(tmp_path: Path) -> None:
    folder = tmp_path / "nnfw-scaled"
    assert run_nnfw("new-plugin", str(folder), "--kind", "optimizer").returncode == 0
    env = pip_install(folder, tmp_path / "site")
    listing = json.loads(run_nnfw("list-plugins", "--json", env=env).stdout)
    (record,) = [p for p in listing if p["name"] == "scaled"]
    assert (record["distribution"], record["status"], record["provides"]) == (
        "nnfw-scaled", "ok", {"optimizer": ["scaled"]})
    trained = run_nnfw("train", "--optimizer", "scaled", "--optimizer.scale", "0.5", "--epochs", "2",
                       "--json", "--out", str(tmp_path / "runs"), env=env)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["epochs_run"] == 2


def test_new_plugin_refuses_an_unknown_kind_and_a_used_folder(tmp_path: Path) -> None:
    wrong = run_nnfw("new-plugin", str(tmp_path / "x"), "--kind", "optimiser")
    assert wrong.returncode == 2 and "did you mean 'optimizer'" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("mine\n")
    used = run_nnfw("new-plugin", str(tmp_path / "used"), "--kind", "loss")
    assert used.returncode == 2 and "is not an empty folder" in used.stderr
    assert (tmp_path / "used" / "file").read_text() == "mine\n"
