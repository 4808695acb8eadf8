"""`pip install .` into a fresh virtualenv, then `hubgen init` and `hubgen build` from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_installed_package_ships_the_theme(tmp_path):
    venv = tmp_path / "venv"
    # System site-packages provide the dependencies (CI installed them), so no download is needed;
    # hubgen itself and its theme come only from this fresh, non-editable install.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--force-reinstall",
            str(REPO),
        ],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    installed = subprocess.run(
        [str(python), "-c", "import hubgen, pathlib; print(pathlib.Path(hubgen.__file__).parent)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert installed.startswith(str(venv)), installed
    assert (Path(installed) / "themes/default/templates/base.html").is_file()
    hubgen = venv / "bin" / "hubgen"
    subprocess.run([str(hubgen), "init", "newhub"], check=True, cwd=tmp_path)
    result = subprocess.run(
        [str(hubgen), "build"], cwd=tmp_path / "newhub", capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "newhub/public/css/style.css").is_file()
    assert (tmp_path / "newhub/public/groups/first-circle/index.html").is_file()
