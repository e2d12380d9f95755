"""The example scripts run and print what the lecture prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import REPO


def test_exp_decay_script_follows_the_lecture(tmp_path: Path) -> None:
    plot = tmp_path / "lr.png"
    done = subprocess.run([sys.executable, str(REPO / "examples" / "scripts" / "exp_decay.py"),
                           "--epochs", "40", "--plot", str(plot)],
                          capture_output=True, text=True, check=True)
    rows = re.findall(r"After (\d+) epoch, w is (\S+), loss is (\S+), lr is (\S+)", done.stdout)
    assert [int(r[0]) for r in rows] == list(range(40))
    w = np.float32(5.0)
    for epoch, w_text, loss_text, lr_text in rows:
        lr = np.float32(0.2 * 0.99 ** int(epoch))
        assert float(lr_text) == round(float(lr), 6)
        assert float(loss_text) == round(float((w + 1) ** 2), 6)
        w = np.float32(w - lr * (2 * (w + 1)))
        assert float(w_text) == round(float(w), 6)
    assert abs(float(rows[-1][1]) + 1) < 1e-5
    assert plot.read_bytes()[:4] == b"\x89PNG"
