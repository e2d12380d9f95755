"""The scale work in the report: its table per file size, and its three targets."""

from __future__ import annotations

from typing import Any

from report_parts import Target, fmt

MB = 1e6
PEAK_GOAL = 3.0  # peak memory of training at most this many times the float32 data


def _scaled(results: dict[str, Any]) -> dict[str, Any] | None:
    """The scale work's result, when it ran and measured its files."""
    work = results.get("scale")
    return work if work and "sizes" in work else None


def _rate(size: dict[str, Any], reader: str) -> str:
    """One reader's seconds and MB/s of the file, or '-' where it did not run."""
    seconds = size["read"].get(reader)
    return "-" if seconds is None else f"{fmt(seconds)} ({size['file_bytes'] / MB / seconds:.0f} MB/s)"


def scale_section(results: dict[str, Any]) -> list[str]:
    """Read times and rates, peak memory over the data, training throughput, per file size."""
    work = _scaled(results)
    if work is None:
        return []
    lines = ["### Data at scale: generated CSVs, 64 features, 10 classes", "",
             "| rows | file MB | nnfw read, s | numpy.loadtxt, s | pandas.read_csv, s | "
             "peak / float32 data: CSV, in memory | nnfw rows/s | Model.fit rows/s | "
             "nnfw / fit |", "|---|---|---|---|---|---|---|---|---|"]
    for size in work["sizes"]:
        train, peak = size["train"], size["peak_over_data"]
        done = train["train_rows"] * work["epochs"]
        nnfw, fit = done / train["nnfw.train"], done / train["plain Model.fit"]
        lines.append(f"| {size['rows']:,} | {size['file_bytes'] / MB:.1f} | {_rate(size, 'nnfw csv')} | "
                     f"{_rate(size, 'numpy.loadtxt')} | {_rate(size, 'pandas.read_csv')} | "
                     f"{peak['csv']:.2f}x, {peak['arrays']:.2f}x | {nnfw:,.0f} | {fit:,.0f} | "
                     f"{nnfw / fit:.3g}x |")
    return [*lines, ""]


def scale_targets(results: dict[str, Any]) -> list[Target]:
    """At the largest file: reading as fast as the fastest other reader, peak memory of
    training at most 3x the data, throughput at least Model.fit's."""
    work = _scaled(results)
    names = ("scale: nnfw read speed / fastest other reader (largest file)",
             "scale: peak memory of training / float32 data (largest, in memory)",
             "scale: nnfw throughput / plain Model.fit throughput (largest)")
    if work is None:
        return [Target(name, "-", goal, None) for name, goal in
                zip(names, (">= 1x", f"<= {PEAK_GOAL:g}x", ">= 1x"), strict=True)]
    size = work["sizes"][-1]
    read, train = size["read"], size["train"]
    other = min(seconds for reader, seconds in read.items() if reader != "nnfw csv")
    speed = other / read["nnfw csv"]
    peak = size["peak_over_data"]["arrays"]
    throughput = train["plain Model.fit"] / train["nnfw.train"]
    return [Target(names[0], f"{speed:.2f}x ({fmt(read['nnfw csv'])} s / {fmt(other)} s)", ">= 1x",
                   speed >= 1.0),
            Target(names[1], f"{peak:.2f}x (reading the CSV: {size['peak_over_data']['csv']:.2f}x)",
                   f"<= {PEAK_GOAL:g}x", peak <= PEAK_GOAL),
            Target(names[2], f"{throughput:.2f}x", ">= 1x", throughput >= 1.0)]
