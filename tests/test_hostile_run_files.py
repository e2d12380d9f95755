"""Run directories and files that cannot be turned against their user (issue 17).

A run directory may be corrupt, edited or crafted by someone else: listing commands
survive any of them (the bad run shown with its problem in its row), a checkpoint
is checked before it is used (the previous one taking over when the newest fails),
resuming checks the data it trains on, and no message echoes a file's contents.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from test_bad_input import one_error_line
from test_cli import cli

import nnfw
from nnfw.rundirs.history_log import ROW_BYTES
from nnfw.rundirs.rundir import CHECKPOINT, HISTORY_LOG, PREVIOUS

SECRET = "s3cr3t-token-that-must-never-be-printed"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- listing survives any run

@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished two-epoch run with a checkpoint and a previous checkpoint."""
    out = tmp_path_factory.mktemp("runs")
    run = nnfw.train(epochs=2, out=str(out), dataset="yogurt", loss="mse", xla=False,
                     checkpoint_seconds=0).run_dir
    assert (run / CHECKPOINT).is_file() and (run / PREVIOUS).is_file()
    return run


CORRUPTIONS = [  # (id, file, content or a symlink target as Path)
    ("divergence-is-text", "summary.json", '{"epochs_run": 2, "diverged": true, "divergence": "yes"}'),
    ("final-is-a-number", "summary.json", '{"epochs_run": 2, "final": 5}'),
    ("final-holds-text", "summary.json", '{"epochs_run": 2, "final": {"loss": "low"}}'),
    ("epochs-is-text", "summary.json", '{"epochs_run": "two"}'),
    ("summary-is-a-list", "summary.json", "[1, 2]"),
    ("summary-nested-deeply", "summary.json", "[" * 100000),
    ("summary-not-json", "summary.json", "{'epochs_run': 2"),
    ("summary-huge-number", "summary.json", '{"epochs_run": ' + "9" * 5000 + "}"),
    ("summary-binary", "summary.json", b"\xff\xfe\x00\x81"),
    ("summary-is-dev-zero", "summary.json", Path("/dev/zero")),
    ("summary-is-a-folder", "summary.json", None),
    ("settings-huge-number", "settings.toml", "epochs = " + "9" * 5000 + "\n"),
    ("settings-not-toml", "settings.toml", "epochs = = 2\n"),
    ("settings-is-dev-zero", "settings.toml", Path("/dev/zero")),
    ("settings-escape-codes", "settings.toml", 'epochs = 2\noptimizer = "\x1b[31mred\x1b[0m"\n'),
    ("provenance-is-dev-zero", "provenance.json", Path("/dev/zero")),
    ("provenance-nested", "provenance.json", "{\"a\":" * 50000),
]


def corrupt(run: Path, name: str, content: str | bytes | Path | None) -> None:
    target = run / name
    target.unlink(missing_ok=True)
    if content is None:
        target.mkdir()
    elif isinstance(content, Path):
        target.symlink_to(content)
    elif isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)


@pytest.mark.parametrize(("name", "content"), [c[1:] for c in CORRUPTIONS],
                         ids=[c[0] for c in CORRUPTIONS])
def test_listing_commands_survive_a_corrupt_run(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                real_run: Path, name: str,
                                                content: str | bytes | Path | None) -> None:
    out = tmp_path / "runs"
    good = out / real_run.name
    shutil.copytree(real_run, good)
    bad = out / "20990101-000000-bad-run"
    shutil.copytree(real_run, bad)
    corrupt(bad, name, content)
    code, table, err = cli(capsys, "runs", "--out", str(out))
    assert code == 0 and err == "", err
    rows = table.strip().splitlines()
    assert len(rows) == 3 and "\x1b" not in table
    assert rows[1].startswith(good.name) and "finished" in rows[1]
    if name == "summary.json":  # the bad row says what is wrong with it
        assert "unreadable: summary.json:" in rows[2]
    code, listed, err = cli(capsys, "runs", "--json", "--out", str(out))
    assert code == 0 and err == ""
    records = json.loads(listed)
    assert [r["name"] for r in records] == [good.name, bad.name]
    for query in ("--json", None):
        code, shown, err = cli(capsys, "show", str(bad), *([query] if query else []))
        assert code == 0 and err == "" and "\x1b" not in shown
        if query:
            json.loads(shown)
    assert "9" * 100 not in table + listed + shown  # nothing of a file's contents in bulk


# ---------------------------------------------------------------- bounded reads

def test_a_device_a_fifo_or_a_huge_file_as_config_or_data_is_one_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    for config in ("/dev/zero", str(fifo)):
        one_error_line(cli(capsys, "train", "--config", config, "--out", str(tmp_path / "r")),
                       f"config file {config!r}: is not a regular file")
        one_error_line(cli(capsys, "train", "--dataset", "csv", "--dataset.path", config,
                           "--out", str(tmp_path / "r")), "is not a regular file")
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (2 << 20) + "\n")
    one_error_line(cli(capsys, "train", "--config", str(big), "--out", str(tmp_path / "r")),
                   "larger than 1 MiB")
    assert not (tmp_path / "r").exists()


def test_a_header_of_many_columns_is_checked_in_one_pass(tmp_path: Path) -> None:
    columns = 200_000  # the quadratic check took minutes at this size
    header = ",".join(f"c{i}" for i in range(columns - 1)) + ",c0"
    (tmp_path / "wide.csv").write_text(header + "\n" + ",".join(["1"] * columns) + "\n")
    with pytest.raises(nnfw.UsageError, match="names column 'c0' twice"):
        nnfw.dataset("csv", path=str(tmp_path / "wide.csv"))


def test_no_message_quotes_a_long_stretch_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "environ"
    path.write_bytes(f"PATH=/bin\0TOKEN={SECRET}\0HOME=/root\0".encode())
    for extra in ({}, {"target": "nothing"}):
        with pytest.raises(nnfw.UsageError) as caught:
            nnfw.dataset("csv", path=str(path), **extra)
        assert SECRET not in str(caught.value)
    path.write_text(f"x,label\n1,0\n{SECRET * 2},1\n")
    with pytest.raises(nnfw.UsageError) as caught:
        nnfw.dataset("csv", path=str(path))
    assert SECRET not in str(caught.value) and "line 3" in str(caught.value)


# ---------------------------------------------------------------- resume checks the data

CSV = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(40))


@pytest.fixture
def csv_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run trained on data/points.csv, given as a relative path from tmp_path."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "points.csv").write_text("x1,x2,label\n" + CSV)
    monkeypatch.chdir(tmp_path)
    return tmp_path / nnfw.train(epochs=2, out="runs", dataset="csv", params={"dataset": {
        "path": "data/points.csv"}}, xla=False).run_dir


def test_a_run_records_its_data_file_by_absolute_path_and_content(
        csv_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "data" / "points.csv")
    assert f'path = "{path}"' in (csv_run / "settings.toml").read_text()
    recorded = json.loads((csv_run / "provenance.json").read_text())["files"]["dataset.path"]
    assert recorded["path"] == path and recorded["size"] == len("x1,x2,label\n" + CSV)
    monkeypatch.chdir("/")  # the relative path would name another file from here
    assert nnfw.train(resume=str(csv_run), epochs=4).history.epochs_run == 4


@pytest.mark.parametrize("change", ["edited", "replaced-same-size", "removed"])
def test_resume_refuses_data_that_changed(capsys: pytest.CaptureFixture[str], csv_run: Path,
                                          tmp_path: Path, change: str) -> None:
    data = tmp_path / "data" / "points.csv"
    if change == "edited":
        data.write_text("x1,x2,label\n" + CSV + "1,1,1\n")
    elif change == "replaced-same-size":
        data.write_text("x1,x2,label\n" + CSV.replace("0\n", "1\n", 1))
    else:
        data.unlink()
    before = snapshot(csv_run)
    words = ["no such file"] if change == "removed" else ["changed since the run started"]
    one_error_line(cli(capsys, "train", "--resume", str(csv_run), "--epochs", "4"), *words)
    assert snapshot(csv_run) == before


def test_a_crafted_run_directory_cannot_make_nnfw_print_a_file(
        capsys: pytest.CaptureFixture[str], csv_run: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFW_TEST_TOKEN", SECRET)
    settings = csv_run / "settings.toml"
    original = settings.read_text()
    for target in ("/proc/self/environ", "/etc/passwd", str(tmp_path / "data" / "points.csv.bak")):
        Path(tmp_path / "data" / "points.csv.bak").write_text(f"{SECRET},x\n1,2\n")
        settings.write_text(original.replace(str(tmp_path / "data" / "points.csv"), target))
        before = snapshot(csv_run)
        code, out, err = cli(capsys, "train", "--resume", str(csv_run), "--epochs", "4")
        message = one_error_line((code, out, err), "records no fingerprint")
        assert SECRET not in out + err and "root:" not in message
        assert snapshot(csv_run) == before


# ---------------------------------------------------------------- checkpoints checked

def rewrite_checkpoint(path: Path, change: str) -> None:
    with np.load(path, allow_pickle=False) as saved:
        arrays = {key: saved[key] for key in saved.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    if change == "nan-weights":
        arrays["state_0000"] = np.full_like(arrays["state_0000"], np.nan)
    elif change == "float64-weights":
        arrays["state_0000"] = arrays["state_0000"].astype(np.float64)
    elif change == "history-cut":  # fewer epochs than the history's checksum covers
        meta["epochs"] = 1
    elif change == "history-and-epochs-cut":  # a consistent shorter history, not the state's
        meta["epochs"] = 1
        meta["history_crc"] = zlib.crc32((path.parent / HISTORY_LOG).read_bytes()[:ROW_BYTES])
    elif change == "checksum-malformed":
        meta["history_crc"] = "none"
    elif change == "columns-unknown":
        meta["columns"] = ["loss", "lr", "secret"]
    elif change == "divergence-malformed":
        meta["divergence"] = {"epoch": "zero"}
    elif change == "seconds-negative":
        meta["train_seconds"] = -1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    if change == "compressed":
        np.savez_compressed(path, **arrays)
    else:
        np.savez(path, **arrays)


BAD_CHECKPOINTS = ["empty", "junk", "cut-in-half", "dev-zero", "nan-weights", "float64-weights",
                   "history-cut", "history-and-epochs-cut", "divergence-malformed",
                   "seconds-negative", "compressed", "checksum-malformed", "columns-unknown"]


def break_checkpoint(path: Path, how: str) -> None:
    if how == "empty":
        path.write_bytes(b"")
    elif how == "junk":
        path.write_bytes(b"\x00junk" * 50)
    elif how == "cut-in-half":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "dev-zero":
        path.unlink()
        path.symlink_to("/dev/zero")
    else:
        rewrite_checkpoint(path, how)


@pytest.mark.parametrize("how", BAD_CHECKPOINTS)
def test_a_bad_checkpoint_is_one_line_and_nothing_is_written(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, real_run: Path, how: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run, symlinks=True)
    (run / PREVIOUS).unlink()
    break_checkpoint(run / CHECKPOINT, how)
    before = snapshot(run) if how != "dev-zero" else None
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"),
                   f"--resume: {str(run / CHECKPOINT)!r}")
    if before is not None:
        assert snapshot(run) == before


@pytest.mark.parametrize("how", ["cut", "edited", "missing", "dev-zero"])
def test_a_bad_history_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        real_run: Path, how: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    history = run / HISTORY_LOG
    data = history.read_bytes()
    assert len(data) == 2 * ROW_BYTES  # two epochs, appended by the checkpoints
    if how == "cut":
        history.write_bytes(data[:ROW_BYTES + 3])
    elif how == "edited":
        history.write_bytes(data[:-1] + b"\x01")
    elif how == "missing":
        history.unlink()
    else:
        history.unlink()
        history.symlink_to("/dev/zero")
    words = {"cut": "shorter than", "edited": "CRCs differ", "missing": "no such file",
             "dev-zero": "is a symbolic link"}[how]
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"), words)


def test_history_rows_no_checkpoint_covers_are_cut_by_the_next_save(tmp_path: Path,
                                                                    real_run: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    with (run / HISTORY_LOG).open("ab") as history:  # a save killed after appending
        history.write(b"\x07" * (ROW_BYTES + 5))
    resumed = nnfw.train(resume=str(run), epochs=4)
    assert (run / HISTORY_LOG).stat().st_size == 4 * ROW_BYTES
    again = nnfw.train(resume=str(run), epochs=5)
    assert again.history.loss[:4] == resumed.history.loss


@pytest.mark.parametrize("how", ["empty", "nan-weights", "history-cut", "missing",
                                 "history-and-epochs-cut"])
def test_the_previous_checkpoint_takes_over_with_a_warning(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, real_run: Path, how: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    if how == "missing":  # killed between the two renames of a save
        (run / CHECKPOINT).unlink()
    else:
        break_checkpoint(run / CHECKPOINT, how)
    code, _, err = cli(capsys, "train", "--resume", str(run), "--epochs", "4")
    assert code == 0, err
    warning = [line for line in err.splitlines() if line.startswith("nnfw: warning:")]
    assert len(warning) == 1 and f"resuming from {PREVIOUS}" in warning[0], err
    resumed = json.loads((run / "summary.json").read_text())
    straight = nnfw.train(epochs=4, dataset="yogurt", loss="mse", xla=False).summary()
    assert resumed["final"] == straight["final"]


def test_both_checkpoints_bad_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          real_run: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    break_checkpoint(run / CHECKPOINT, "junk")
    break_checkpoint(run / PREVIOUS, "cut-in-half")
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"),
                   f"{CHECKPOINT} cannot be used", "nor can the previous one")


def test_a_checkpoint_written_through_a_zip_of_other_members_is_refused(tmp_path: Path,
                                                                        real_run: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    (run / PREVIOUS).unlink()
    with zipfile.ZipFile(run / CHECKPOINT, "w") as archive:
        archive.writestr("meta.npy", b"not an array")
    with pytest.raises(nnfw.UsageError, match="cannot be read"):
        nnfw.train(resume=str(run), epochs=4)


@pytest.mark.parametrize("name", [CHECKPOINT, "model.keras", "summary.json", HISTORY_LOG])
def test_a_folder_in_place_of_a_run_file_is_one_line_before_training(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, real_run: Path, name: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    (run / name).unlink()
    (run / name).mkdir()
    before = snapshot(run)
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"),
                   f"--resume: {run / name} is a folder where the run writes a file")
    assert snapshot(run) == before


@pytest.mark.parametrize("name", ["settings.toml", "provenance.json", CHECKPOINT, HISTORY_LOG])
def test_run_files_are_never_read_through_a_planted_link(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, real_run: Path, name: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    (run / PREVIOUS).unlink()
    elsewhere = tmp_path / f"elsewhere-{name}"
    shutil.copy(run / name, elsewhere)  # even a valid file: nnfw never writes links there
    (run / name).unlink()
    (run / name).symlink_to(elsewhere)
    before = snapshot(run)
    one_error_line(cli(capsys, "train", "--resume", str(run), "--epochs", "4"),
                   "is a symbolic link, which nnfw never writes in a run directory")
    assert snapshot(run) == before
