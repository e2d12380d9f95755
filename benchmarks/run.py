"""nnfw's benchmark suite: one command, every work side by side, a markdown table of times and targets.

    python benchmarks/run.py            # the full run (several minutes)
    python benchmarks/run.py --quick    # a short run: smaller sizes, 2 repeats

Each work runs in its own subprocess (this script again, with ``--worker WORK``),
so TensorFlow's state and threads of one work never touch another. Exit status 1
when a work fails or any way misses the reference's final loss.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import machine

HERE = Path(__file__).resolve().parent
WORKS = ("iris", "yogurt", "mlp", "optimizers", "mirrored", "compile", "scale", "profile", "cli")
BUSY_CORES = 0.25  # more than this many cores used by other processes during a work: warn


def work_function(name: str) -> Callable[..., dict[str, Any]]:
    """The function running work ``name`` in a worker process: ``f(sizes, broken) -> result``."""
    if name == "optimizers":
        import optimizer_work

        return optimizer_work.run
    if name == "cli":
        import cli_work

        return cli_work.run
    if name == "compile":
        import compile_sweep

        return compile_sweep.run
    if name == "profile":
        import mlp_profile

        return mlp_profile.run
    if name == "scale":
        import scale_work

        return scale_work.run
    if name == "mirrored":
        import distribute_work

        return distribute_work.run
    import dense_works

    return getattr(dense_works, name)


def versions() -> dict[str, str]:
    """Versions of what is measured (imports TensorFlow: call it only in a worker)."""
    import keras
    import tensorflow as tf

    import nnfw

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "nnfw": nnfw.__version__}


def worker(name: str, sizes_json: str, broken: bool, out: Path) -> None:
    """Run one work in this process and write its result as JSON to ``out``."""
    from sizes import Sizes

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sizes = Sizes(**json.loads(sizes_json))
    if name != "cli":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    result = work_function(name)(sizes, broken)
    if name != "cli":
        result["versions"] = versions()
    out.write_text(json.dumps(result))


def run_work(name: str, sizes: Any, broken: bool) -> dict[str, Any]:
    """Run one work in a fresh subprocess; its result, or ``{"error": ...}`` when it failed."""
    with tempfile.TemporaryDirectory(prefix="nnfw-bench-") as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, str(HERE / "run.py"), "--worker", name,
                   "--sizes-json", json.dumps(sizes.as_dict()), "--result", str(out)]
        if broken:
            command.append("--broken-way")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        before = machine.snapshot()
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        spent = time.perf_counter() - start
        others = machine.other_cores(before, spent)
        if done.returncode != 0 or not out.exists():
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            return {"work": name, "error": f"worker exited with {done.returncode}: {tail}",
                    "wall_seconds": spent}
        result = json.loads(out.read_text())
    result["wall_seconds"] = spent
    result["other_cores"] = others
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description="Benchmark nnfw against plain Keras and hand-written "
                                     "TensorFlow loops; print a markdown table of times, ratios and targets.")
    parser.add_argument("--quick", action="store_true",
                        help="short run: iris 50 epochs, yogurt 1500, MLP 6000 rows, 2 repeats")
    parser.add_argument("--only", default=",".join(WORKS),
                        help=f"comma-separated works to run (default: all of {','.join(WORKS)})")
    parser.add_argument("--repeats", type=int, help="timed repeats of every way (default 5, quick 2)")
    parser.add_argument("--size", action="append", default=[], metavar="KEY=VALUE",
                        help="override one size, e.g. --size iris_epochs=5 (see sizes.py)")
    parser.add_argument("--broken-way", action="store_true",
                        help="add a deliberately wrong way (a step without the update) to the training "
                             "works, to see the loss check flag it")
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write the report to this markdown file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sizes-json", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen works one subprocess each, print the report; 1 if a loss check failed."""
    args = parse_args(argv)
    if args.worker:
        worker(args.worker, args.sizes_json, args.broken_way, args.result)
        return 0
    from report import loss_checks_pass, render
    from sizes import FULL, QUICK

    sizes = QUICK if args.quick else FULL
    if args.repeats:
        args.size.insert(0, f"repeats={args.repeats}")
    try:
        sizes = sizes.with_overrides(args.size)
    except ValueError as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKS]
    if unknown:
        print(f"run.py: unknown work(s) {unknown}; choose from {list(WORKS)}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    for name in names:
        print(f"[{name}] running ...", file=sys.stderr, flush=True)
        results[name] = run_work(name, sizes, args.broken_way)
        state = "FAILED" if "error" in results[name] else "done"
        print(f"[{name}] {state} in {results[name]['wall_seconds']:.1f} s", file=sys.stderr, flush=True)
    report = render(results, header(args, sizes, results), targets_note(sizes))
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    if args.json:
        args.json.write_text(json.dumps({"sizes": sizes.as_dict(), "results": results}, indent=1))
    return 0 if loss_checks_pass(results) else 1


def targets_note(sizes: Any) -> str | None:
    """A warning when the works are smaller than the full run's, for which the targets are set."""
    from sizes import FULL, PROBLEM_SIZES

    smaller = [f"{key} {getattr(sizes, key)}" for key in PROBLEM_SIZES
               if getattr(sizes, key) != getattr(FULL, key)]
    if not smaller:
        return None
    return ("The targets are set for the full run's sizes; at these sizes (" + ", ".join(smaller)
            + ") fixed costs (tracing, compiling) weigh more, so these verdicts are only indicative.")


def header(args: argparse.Namespace, sizes: Any, results: dict[str, Any]) -> list[str]:
    """The report's first lines: the command, the machine, the versions and the sizes."""
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if sys.argv[1:] else [])
    found = next((r["versions"] for r in results.values() if "versions" in r), {})
    others = {name: r["other_cores"] for name, r in results.items() if r.get("other_cores") is not None}
    load_text = ("; cores used by other processes during each work: "
                 + ", ".join(f"{name} {cores:.2f}" for name, cores in others.items())) if others else ""
    busy = [name for name, cores in others.items() if cores > BUSY_CORES]
    warning = ([f"**Warning: other processes kept more than {BUSY_CORES} core busy during {', '.join(busy)}; "
                "those times are inflated.**  "] if busy else [])
    return [
        f"## nnfw benchmarks ({'quick' if args.quick else 'full'} run)", "",
        f"Command: `{command.strip()}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()}{load_text}  ",
        "Versions: " + (", ".join(f"{k} {v}" for k, v in found.items()) or "-") + "  ",
        f"Repeats: {sizes.repeats} per way (interleaved, {'after' if sizes.warmup else 'without'} "
        f"an untimed 1-epoch warm-up of each way); one subprocess per work",
        *warning,
    ]


if __name__ == "__main__":
    sys.exit(main())
