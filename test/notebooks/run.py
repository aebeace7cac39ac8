#!/usr/bin/python3
"""Executes notebooks headlessly with the tslab kernel and fails on any error.

Jupyter's own `nbconvert --execute` misses errors thrown later in timers and unhandled promise
rejections (tslab prints them to the cell's stderr as UncaughtException /
UnhandledPromiseRejection). This runner checks every output for those, and for failed checks,
prints the failing cell with its stderr, writes executed copies and HTML to build/notebooks/,
and ends with a line `N passed, N failed`.

An executed notebook must stay under MAX_NOTEBOOK_BYTES (2 MB): charts store summarised data
and no plotly.js (lib/viz/show.ts), so a larger file is a regression and fails the run, naming
its largest outputs. The HTML uses the course template (template/course): plotly.js is loaded
once per page from a copy next to the HTML, so every chart is interactive, and long code lines
wrap. Execution counts are renumbered after the injected first cell is removed (In [1] first).

Usage: run.py notebooks/*.ipynb   (env NOTEBOOK_TIMEOUT: seconds per cell, default 1800)
"""
import os
import shutil
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

BAD_MARKERS = ("UncaughtException", "UnhandledPromiseRejection", "check failed:")
MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "template")
PLOTLY_JS = os.path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js")
# A first cell records errors raised outside any cell (tslab prints those nowhere a client sees
# them reliably); a last cell gives timers and pending promises a moment to fail, then reports
# what was recorded. Both are removed from the executed copy.
PRELUDE_SOURCE = """const tfcRunnerErrors: string[] = [];
(globalThis as any).tfcRunnerErrors = tfcRunnerErrors;
process.on('uncaughtException', (e: unknown) => { tfcRunnerErrors.push('UncaughtException: ' + String((e as Error)?.stack ?? e)); });
process.on('unhandledRejection', (e: unknown) => { tfcRunnerErrors.push('UnhandledPromiseRejection: ' + String((e as Error)?.stack ?? e)); });"""
SETTLE_SOURCE = """await new Promise((resolve) => setTimeout(resolve, 1000));
{
  const errors: string[] = (globalThis as any).tfcRunnerErrors ?? [];
  if (errors.length) console.error(errors.join('\\n'));
}"""


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


def renumber(nb):
    """Execution counts as if the injected first cell had not run: the first cell is In [1]."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if isinstance(cell.get("execution_count"), int):
            cell.execution_count -= 1
        for out in cell.get("outputs", []):
            if isinstance(out.get("execution_count"), int):
                out["execution_count"] -= 1


def largest_outputs(nb, n=3):
    """The n largest outputs of a notebook: (bytes, cell index, MIME type)."""
    import json
    sizes = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            for mime, data in out.get("data", {}).items():
                sizes.append((len(json.dumps(data)), index, mime))
            if "text" in out:
                sizes.append((len(out["text"]), index, "stream"))
    return sorted(sizes, reverse=True)[:n]


def write_html(nb, out_dir, name):
    """The executed notebook as HTML (course template), with plotly.min.js copied beside it once."""
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(extra_template_basedirs=[TEMPLATES], template_name="course")
    html, _ = exporter.from_notebook_node(nb)
    with open(os.path.join(out_dir, name + ".html"), "w", encoding="utf-8") as f:
        f.write(html)
    target = os.path.join(out_dir, "plotly.min.js")
    if os.path.exists(PLOTLY_JS) and (not os.path.exists(target) or os.path.getsize(target) != os.path.getsize(PLOTLY_JS)):
        shutil.copyfile(PLOTLY_JS, target)


def run_one(path, out_dir, timeout):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PRELUDE_SOURCE))
    nb.cells.append(nbformat.v4.new_code_cell(SETTLE_SOURCE))
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="tslab", allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    started = time.time()
    error = None
    # The kernel's own stderr: tslab prints errors raised between cell executions (timers,
    # promises) there rather than into a cell.
    kernel_log = tempfile.TemporaryFile(mode="w+")
    try:
        client.execute(stderr=kernel_log)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        error = e
    except Exception as e:  # kernel could not start, etc.: a failure of this notebook, not of the run
        error = e
    seconds = time.time() - started
    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        problems = cell_problems(cell)
        if problems:
            # Errors reported by the settle cell were raised outside cells, by a timer or promise.
            shown = None if index in (0, len(nb.cells) - 1) else cell
            if shown is None:
                problems = ["(raised outside the cells, by a timer or promise) " + p for p in problems]
            failures.append((index - 1, shown, problems))
    kernel_log.seek(0)
    stray = [line for line in kernel_log.read().splitlines() if any(m in line for m in BAD_MARKERS)]
    kernel_log.close()
    if stray:
        failures.append((-1, None, ["(raised outside any cell, by a timer or promise) " + "\n".join(stray)[:3000]]))
    if error is not None and not any(cell is not None for _, cell, _ in failures):
        # tslab reports compile and runtime errors on the failing cell's stderr: show them.
        ran = [(i - 1, c) for i, c in enumerate(nb.cells[:-1]) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
        if ran:
            index, cell = ran[-1]
            stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
            failures.append((index, cell, [stderr.strip() or str(error).strip()[-3000:]]))
        else:
            failures.append((-1, None, [str(error).strip()[-3000:]]))
    nb.cells.pop()  # the settle and prelude cells are not part of the executed copy
    nb.cells.pop(0)
    renumber(nb)
    name = os.path.splitext(os.path.basename(path))[0]
    os.makedirs(out_dir, exist_ok=True)
    executed = os.path.join(out_dir, name + ".ipynb")
    nbformat.write(nb, executed)
    size = os.path.getsize(executed)
    if size > MAX_NOTEBOOK_BYTES:
        top = ", ".join(f"cell {i} {mime} {b:,} bytes" for b, i, mime in largest_outputs(nb))
        failures.append((-1, None, [f"the executed notebook is {size:,} bytes, over the {MAX_NOTEBOOK_BYTES:,}-byte limit; largest outputs: {top}"]))
    try:
        write_html(nb, out_dir, name)
    except Exception as e:  # HTML is a convenience; its failure must not hide the result
        print(f"  (no HTML for {name}: {e})")
    return failures, seconds, size


def main(paths):
    timeout = int(os.environ.get("NOTEBOOK_TIMEOUT", "1800"))
    out_dir = os.path.join("build", "notebooks")
    passed = failed = 0
    for path in paths:
        print(f"== {path}", flush=True)
        failures, seconds, size = run_one(path, out_dir, timeout)
        if failures:
            failed += 1
            print(f"FAIL {path} ({seconds:.0f} s, {size / 1e6:.2f} MB)")
            for index, cell, problems in failures:
                if cell is not None:
                    print(f"--- cell {index}:")
                    print("\n".join("    " + line for line in cell.source.splitlines()[:40]))
                for p in problems:
                    print("  error: " + p.replace("\n", "\n         ")[:4000])
        else:
            passed += 1
            print(f"ok   {path} ({seconds:.0f} s, {size / 1e6:.2f} MB)", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: run.py NOTEBOOK.ipynb ...")
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
