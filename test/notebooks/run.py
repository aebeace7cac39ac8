#!/usr/bin/python3
"""Executes notebooks headlessly with the tslab kernel and fails on any error.

Jupyter's own `nbconvert --execute` misses errors thrown later in timers and unhandled promise
rejections (tslab prints them to the cell's stderr as UncaughtException /
UnhandledPromiseRejection). This runner checks every output for those, and for failed checks,
prints the failing cell with its stderr, writes executed copies and HTML to build/notebooks/,
and ends with a line `N passed, N failed`.

Usage: run.py notebooks/*.ipynb   (env NOTEBOOK_TIMEOUT: seconds per cell, default 1800)
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

BAD_MARKERS = ("UncaughtException", "UnhandledPromiseRejection", "check failed:")
# A last cell that gives timers and pending promises a moment to fail before the kernel stops.
SETTLE_SOURCE = "await new Promise((resolve) => setTimeout(resolve, 1000));"


def cell_problems(cell):
    """Error outputs and stderr lines that mark a failure in one executed cell."""
    problems = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            problems.append(f"{out.get('ename')}: {out.get('evalue')}")
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "")
            if any(m in text for m in BAD_MARKERS):
                problems.append(text.strip())
    return problems


def run_one(path, out_dir, timeout):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SETTLE_SOURCE))
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="tslab", allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    started = time.time()
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        error = e
    except Exception as e:  # kernel could not start, etc.: a failure of this notebook, not of the run
        error = e
    seconds = time.time() - started
    nb.cells.pop()  # the settle cell
    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        problems = cell_problems(cell)
        if problems:
            failures.append((index, cell, problems))
    if error is not None and not failures:
        failures.append((-1, None, [str(error).strip()[-3000:]]))
    name = os.path.splitext(os.path.basename(path))[0]
    os.makedirs(out_dir, exist_ok=True)
    nbformat.write(nb, os.path.join(out_dir, name + ".ipynb"))
    try:
        from nbconvert import HTMLExporter
        html, _ = HTMLExporter().from_notebook_node(nb)
        with open(os.path.join(out_dir, name + ".html"), "w", encoding="utf-8") as f:
            f.write(html)
    except Exception as e:  # HTML is a convenience; its failure must not hide the result
        print(f"  (no HTML for {name}: {e})")
    return failures, seconds


def main(paths):
    timeout = int(os.environ.get("NOTEBOOK_TIMEOUT", "1800"))
    out_dir = os.path.join("build", "notebooks")
    passed = failed = 0
    for path in paths:
        print(f"== {path}", flush=True)
        failures, seconds = run_one(path, out_dir, timeout)
        if failures:
            failed += 1
            print(f"FAIL {path} ({seconds:.0f} s)")
            for index, cell, problems in failures:
                if cell is not None:
                    print(f"--- cell {index}:")
                    print("\n".join("    " + line for line in cell.source.splitlines()[:40]))
                for p in problems:
                    print("  error: " + p.replace("\n", "\n         ")[:4000])
        else:
            passed += 1
            print(f"ok   {path} ({seconds:.0f} s)", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: run.py NOTEBOOK.ipynb ...")
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
