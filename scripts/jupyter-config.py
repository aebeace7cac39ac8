# Jupyter server configuration used by `make notebook` (scripts/notebook-server.cjs passes it with
# --config). After every save of a notebook, git's stale "modified" mark is cleared when the save
# changed only outputs (scripts/nbstrip.cjs --refresh), so running the course in place leaves
# `git status` clean while the notebook keeps its outputs on disk. Works with the classic Notebook
# (6.x) and jupyter_server (JupyterLab, Notebook 7): both call the hook with keyword arguments.
import os
import shutil
import subprocess

NBSTRIP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nbstrip.cjs")
NODE = os.environ.get("TFJS_COMPRESS_NODE") or shutil.which("node") or "node"


def refresh_git_status(os_path=None, model=None, contents_manager=None, **kwargs):
    """Runs nbstrip.cjs --refresh on a saved notebook; never fails the save."""
    if not os_path or not os_path.endswith(".ipynb"):
        return
    try:
        subprocess.run([NODE, NBSTRIP, "--refresh", os_path], timeout=30, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception as e:  # a save must succeed even when git cannot be asked
        if contents_manager is not None:
            contents_manager.log.warning("nbstrip --refresh failed on %s: %s", os_path, e)


c = get_config()  # noqa: F821 (provided by the config loader)
c.FileContentsManager.post_save_hook = refresh_git_status
