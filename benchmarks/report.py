"""The markdown report: timing tables per work, and every target marked met or not met."""

from __future__ import annotations

from typing import Any

from profile_report import profile_section
from report_parts import Target, fmt
from scale_report import scale_section, scale_targets

WORK_TITLES = {
    "iris": "iris, the lecture's run ({epochs} epochs x 4 batches, SGD, per-epoch loss and test accuracy)",
    "yogurt": "yogurt, the lecture's MSE run ({epochs} full-batch steps, SGD)",
    "mlp": "MLP 784-512-10, {rows} rows x {epochs} epochs, Adam (epsilon 0), batch {batch_size}",
}


def loss_cell(row: dict[str, Any]) -> str:
    """A row's loss check: ok, or MISMATCH with the reference loss; then the relative deviation."""
    verdict = "ok" if row["loss_ok"] else f"**MISMATCH** (ref {row['reference_loss']:.7g})"
    return f"{verdict} ({row['deviation']:.1e})"


def way_table(result: dict[str, Any]) -> list[str]:
    """Rows of one training work: time per way, ratio to nnfw, final loss and its check."""
    nnfw = next((w for w in result["ways"] if w["way"] == "nnfw"), None)
    lines = []
    for way in result["ways"]:
        ratio = f"{way['median'] / nnfw['median']:.3g}x" if nnfw and nnfw["median"] > 0 else "-"
        label = way["label"] + (" *" if way["note"] else "")
        lines.append(f"| {result['work']} | {label} | {fmt(way['median'])} | {fmt(way['min'])} | "
                     f"{fmt(way['max'])} | {ratio} | {way['final_loss']:.7g} | {loss_cell(way)} |")
    return lines


def by_way(result: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The row of way ``key`` in a training work's result."""
    if not result or "ways" not in result:
        return None
    return next((w for w in result["ways"] if w["way"] == key), None)


def ratio_target(name: str, results: dict[str, Any], work: str, top: str, bottom: str,
                 at_least: float | None = None, at_most: float | None = None) -> Target:
    """Median of way ``top`` over median of way ``bottom`` against a bound; both must pass the loss check."""
    goal = f">= {at_least:g}x" if at_least is not None else f"<= {at_most:g}x"
    a, b = by_way(results.get(work), top), by_way(results.get(work), bottom)
    if not a or not b:
        return Target(name, "-", goal, None)
    ratio = a["median"] / b["median"]
    measured = f"{ratio:.3g}x ({fmt(a['median'])} s / {fmt(b['median'])} s)"
    checked = a["loss_ok"] and b["loss_ok"]
    if not checked:
        measured += ", loss check failed"
    within = ratio >= at_least if at_least is not None else ratio <= at_most
    return Target(name, measured, goal, within and checked)


def mlp_rate_target(results: dict[str, Any]) -> Target:
    """nnfw's training FLOP rate (3 x forward FLOPs per row) against this machine's matmul rate.

    The whole-run XLA way's rate is shown beside it: what TensorFlow reaches on this MLP.
    """
    name = "MLP: nnfw's FLOP rate (3 x forward FLOPs per row) / this machine's TF matmul rate"
    mlp = results.get("mlp")
    nnfw, xla = by_way(mlp, "nnfw"), by_way(mlp, "xla")
    if not mlp or not nnfw or "matmul" not in mlp:
        return Target(name, "-", ">= 60%", None)
    flops = 3 * mlp["forward_flops_per_row"] * mlp["rows"] * mlp["epochs"]
    rate = flops / nnfw["median"] / 1e9
    peak = mlp["matmul"]["gflops"]["median"]
    n = mlp["matmul"]["n"]
    measured = f"{rate / peak:.0%} ({rate:.3g} of {peak:.3g} GFLOP/s, {n}x{n} matmuls"
    if xla:
        xla_rate = flops / xla["median"] / 1e9
        measured += f"; whole-run XLA way: {xla_rate:.3g} GFLOP/s = {xla_rate / peak:.0%}"
    return Target(name, measured + ")", ">= 60%", rate / peak >= 0.6 and nnfw["loss_ok"])


def optimizer_targets(results: dict[str, Any]) -> list[Target]:
    """Each nnfw optimizer's per-step cost within 10% of its Keras counterpart."""
    work = results.get("optimizers")
    if not work or "optimizers" not in work:
        return [Target("optimizers: nnfw per step vs Keras", "-", "<= 1.10x", None)]
    targets = []
    for row in work["optimizers"]:
        measured = f"{row['ratio']:.3g}x" + ("" if row["loss_ok"] else ", loss check failed")
        targets.append(Target(f"optimizer {row['optimizer']}: per step vs Keras {row['keras']}",
                              measured, "<= 1.10x", row["ratio"] <= 1.10 and row["loss_ok"]))
    return targets


def cli_row(results: dict[str, Any], command: str) -> dict[str, Any] | None:
    """The cli work's row of ``command`` (its label in the table)."""
    work = results.get("cli") or {}
    return next((c for c in work.get("commands", []) if c["command"] == command), None)


def cli_targets(results: dict[str, Any]) -> list[Target]:
    """nnfw --help and list-plugins under 0.3 s median (whole run); no TensorFlow import for the
    commands that only read run directories or plot past results."""
    targets = []
    for command in ("nnfw --help", "nnfw list-plugins"):
        row = cli_row(results, command)
        if row is None:
            targets.append(Target(f"{command}: median start-up", "-", "< 0.3 s", None))
        else:
            targets.append(Target(f"{command}: median start-up", f"{fmt(row['median'])} s", "< 0.3 s",
                                  row["median"] < 0.3))
    name = "no TensorFlow import for commands that only read runs or plot past results"
    readers = [c for c in (results.get("cli") or {}).get("commands", []) if c.get("reads_runs")]
    if not readers or any("tensorflow" not in c for c in readers):
        targets.append(Target(name, "-", "none imports it", None))
    else:
        short = {c["command"]: c["command"].split(" (")[0] for c in readers}
        importing = [short[c["command"]] for c in readers if c["tensorflow"]]
        measured = (f"imported by {', '.join(importing)}" if importing else
                    f"none of {len(readers)} imports it ({', '.join(short.values())})")
        targets.append(Target(name, measured, "none imports it", not importing))
    return targets


def targets(results: dict[str, Any]) -> list[Target]:
    """Every target of the issue, from the results of one benchmark run."""
    return [
        ratio_target("iris: plain Model.fit time / nnfw time", results, "iris", "fit", "nnfw", at_least=20),
        ratio_target("iris: nnfw time / whole-run XLA time", results, "iris", "nnfw", "xla", at_most=3),
        ratio_target("yogurt: plain Model.fit time / nnfw time", results, "yogurt", "fit", "nnfw",
                     at_least=200),
        ratio_target("yogurt: lecture's eager loop time / nnfw time", results, "yogurt", "eager", "nnfw",
                     at_least=20),
        ratio_target("MLP: nnfw throughput / plain Model.fit throughput", results, "mlp", "fit", "nnfw",
                     at_least=1.5),
        ratio_target("MLP: nnfw time / whole-run XLA time", results, "mlp", "nnfw", "xla", at_most=1.1),
        mlp_rate_target(results),
        *optimizer_targets(results),
        *compile_targets(results),
        *scale_targets(results),
        *cli_targets(results),
    ]


def dense_section(results: dict[str, Any]) -> list[str]:
    """The training works' table: one row per way, with footnotes for extrapolated times."""
    dense = [w for w in ("iris", "yogurt", "mlp") if w in results]
    if not dense:
        return []
    lines = ["### Training time, seconds (median, min, max of the repeats)", ""]
    for work in dense:
        result = results[work]
        if "error" in result:
            lines.append(f"- {work}: FAILED: {result['error']}")
            continue
        lines.append("- " + WORK_TITLES[work].format(**result)
                     + f"; loss check: final loss within {result['tolerance']:g} (relative) "
                     f"of the lecture's eager loop")
    lines += ["", "| work | way | median | min | max | way / nnfw | final loss | "
                  "loss check (rel. dev.) |", "|---|---|---|---|---|---|---|---|"]
    notes = []
    for work in dense:
        ways = results[work].get("ways", [])
        lines += way_table(results[work]) if ways else []
        notes += [f"\\* {work}, {w['label']}: {w['note']} (fixed cost of a 1-epoch fit + "
                  f"per-epoch cost x {results[work]['epochs']})" for w in ways if w["note"]]
    return [*lines, *(["", *notes] if notes else []), ""]


def optimizer_section(results: dict[str, Any]) -> list[str]:
    """The optimizer work's table: microseconds per step, nnfw and Keras, their ratio, the loss check."""
    work = results.get("optimizers")
    if not work or "optimizers" not in work:
        return []
    lines = [f"### Optimizer step cost, microseconds per step ({work['steps']} steps of the MLP, "
             f"batch {work['batch_size']}, in one XLA-compiled loop)", "",
             "| nnfw optimizer | Keras with the same arithmetic | nnfw median (min-max) | "
             "Keras median (min-max) | nnfw / Keras (median of paired ratios) | loss check (rel. dev.) |",
             "|---|---|---|---|---|---|"]
    for row in work["optimizers"]:
        a, b = row["nnfw"], row["keras_step"]
        lines.append(f"| {row['optimizer']} | {row['keras']} | {a['median'] * 1e6:.0f} "
                     f"({a['min'] * 1e6:.0f}-{a['max'] * 1e6:.0f}) | {b['median'] * 1e6:.0f} "
                     f"({b['min'] * 1e6:.0f}-{b['max'] * 1e6:.0f}) | {row['ratio']:.3f}x | "
                     f"{loss_cell(row)} |")
    return [*lines, ""]


def mirrored_section(results: dict[str, Any]) -> list[str]:
    """The two-replica table: nnfw and Model.fit under one MirroredStrategy, nnfw on one device."""
    work = results.get("mirrored")
    if not work or "problems" not in work:
        return []
    lines = [f"### {work['replicas']} replicas (MirroredStrategy, the CPU split into "
             f"{work['replicas']} devices), seconds", "",
             "| problem | way | median | min | max | way / nnfw mirrored | final loss | "
             "loss check vs nnfw on one device (rel. dev.) |", "|---|---|---|---|---|---|---|---|"]
    for problem in work["problems"]:
        base = problem["ways"][0]["median"]
        for way in problem["ways"]:
            label = way["label"] + (f" ({way['note']})" if way["note"] else "")
            lines.append(f"| {problem['work']} ({problem['epochs']} epochs) | {label} | "
                         f"{fmt(way['median'])} | {fmt(way['min'])} | {fmt(way['max'])} | "
                         f"{way['median'] / base:.3g}x | {way['final_loss']:.7g} | {loss_cell(way)} |")
    return [*lines, ""]


def _swept(results: dict[str, Any]) -> dict[str, Any] | None:
    """The compile work's result, when it ran and measured its shapes."""
    work = results.get("compile")
    return work if work and "shapes" in work else None


def compile_section(results: dict[str, Any]) -> list[str]:
    """The shape sweep: seconds as a graph and with XLA, nnfw's choice and its cost against the faster."""
    work = _swept(results)
    if work is None:
        return []
    lines = [f"### Compile choice, seconds of training incl. compile (median of {work['repeats']}; "
             "Adam, no shuffling, random data)", "",
             "| rows | features | hidden | batch | epochs | graph | XLA | nnfw's choice | "
             "chosen / faster |", "|---|---|---|---|---|---|---|---|---|"]
    for row in work["shapes"]:
        rows, features, hidden, batch, epochs = row["shape"]
        lines.append(f"| {rows} | {features} | {hidden or '-'} | {batch} | {epochs} | "
                     f"{fmt(row['graph'])} | {fmt(row['xla'])} | {row['choice']} | "
                     f"{row['ratio']:.3g}x |")
    return [*lines, ""]


def compile_targets(results: dict[str, Any]) -> list[Target]:
    """The sweep's target: on every shape, the chosen path within 1.1x of the faster one."""
    work = _swept(results)
    if work is None:
        return []
    worst = max(work["shapes"], key=lambda row: row["ratio"])
    rows, features, hidden, batch, epochs = worst["shape"]
    return [Target("compile choice: chosen path / faster path, worst shape",
                   f"{worst['ratio']:.3g}x ({rows} rows x {features}, hidden {hidden or '-'}, "
                   f"batch {batch}, {epochs} epochs)", "<= 1.1x", worst["ratio"] <= 1.1)]


def cli_imports_cell(row: dict[str, Any]) -> str:
    """A command's import profile: the total, nnfw's own modules, the costliest top-level packages."""
    if "import_seconds" not in row:
        return "-"
    top = ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in row.get("top_imports", []))
    return (f"{row['import_seconds'] * 1000:.0f} in all, nnfw's own modules "
            f"{row.get('nnfw_import_seconds', 0) * 1000:.0f}; {top}")


def cli_section(results: dict[str, Any]) -> list[str]:
    """The start-up table: per command, seconds to the first output and to the end (subprocess
    runs), whether TensorFlow was imported, what the imports cost, and what it shows first."""
    work = results.get("cli")
    if not work or "commands" not in work:
        return []
    lines = [f"### Command-line start-up, seconds per run (subprocess, median of {work.get('repeats', '?')})",
             "", "| command | first output | total (min-max) | TensorFlow imported | "
             "imports, ms (cumulative; -X importtime) | first output shows |", "|---|---|---|---|---|---|"]
    for c in work["commands"]:
        first = c.get("first_output")
        tensorflow = {True: "**yes**", False: "no", None: "-"}[c.get("tensorflow")]
        shown = c.get("first_text", "")
        shown = (shown[:57] + "...") if len(shown) > 60 else shown
        shown = shown.replace("|", "\\|").replace("`", "'")
        lines.append(f"| {c['command']} | {fmt(first['median']) if first else '-'} | {fmt(c['median'])} "
                     f"({fmt(c['min'])}-{fmt(c['max'])}) | {tensorflow} | {cli_imports_cell(c)} | "
                     f"{f'`{shown}`' if shown else '(nothing)'} |")
    return [*lines, "", "First output: the first visible text on stdout (a pipe) or stderr (a terminal); "
            "the import profile is one extra run per command under `python -X importtime`.", ""]


def render(results: dict[str, Any], header: list[str], targets_note: str | None = None) -> str:
    """The whole report: header lines, the tables of the works that ran, failures, the targets.

    ``targets_note`` is printed above the targets (e.g. that the sizes are not the full run's).
    """
    failed = [f"- {name}: FAILED: {r['error']}" for name, r in results.items()
              if "error" in r and name not in ("iris", "yogurt", "mlp")]
    lines = [*header, "", *dense_section(results), *optimizer_section(results),
             *mirrored_section(results), *compile_section(results), *scale_section(results),
             *profile_section(results), *cli_section(results),
             *failed, *([""] if failed else []), "### Targets", "",
             *([targets_note, ""] if targets_note else []),
             "| target | measured | goal | verdict |", "|---|---|---|---|",
             *(t.row() for t in targets(results))]
    return "\n".join(lines) + "\n"


def loss_checks_pass(results: dict[str, Any]) -> bool:
    """True when every work ran and every way (and every optimizer) passed its loss check."""
    for result in results.values():
        if "error" in result:
            return False
        rows = result.get("ways", []) + result.get("optimizers", []) + [
            way for problem in result.get("problems", []) for way in problem["ways"]]
        if not all(row["loss_ok"] for row in rows):
            return False
    return True
