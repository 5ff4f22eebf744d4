"""Every shell block in the README (except installs and the PostgreSQL example) runs as shown."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks():
    text = README.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"```sh\n(.*?)```", text, re.S):
        body = m.group(1)
        first = body.strip().splitlines()[0]
        if first.startswith("pip install") or "CRM_DATABASE_URL=postgresql" in body or first.startswith("#"):
            continue
        out.append(body)
    return out


@pytest.mark.parametrize("body", blocks(), ids=lambda b: b.strip().splitlines()[0][:40])
def test_readme_block_runs(body, crm_env, tmp_path):
    env = dict(crm_env)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    script = "set -euo pipefail\n" + body
    p = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"README block failed:\n{body}\nstdout:{p.stdout[-2000:]}\nstderr:{p.stderr[-2000:]}"
    assert "Traceback" not in p.stderr
