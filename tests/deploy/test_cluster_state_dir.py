"""deploy/local-cluster.sh keeps its secret key and the pidfiles `down` kills by in its state
dir, by default under /tmp: a directory another user made, or a symlink, is refused."""

import os
from pathlib import Path
import subprocess

from django.conf import settings
import pytest

SCRIPT = Path(settings.BASE_DIR) / "deploy" / "local-cluster.sh"


def run(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KABINET_CLUSTER_DIR": str(state_dir)}
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def test_a_state_dir_of_its_own_is_used(tmp_path):
    result = run(tmp_path / "cluster", "status")
    assert "stopped" in result.stdout and result.returncode == 3, result.stderr


def test_a_symlinked_state_dir_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "cluster").symlink_to(tmp_path / "elsewhere")
    for command in ("status", "down", "up"):
        result = run(tmp_path / "cluster", command)
        assert result.returncode == 1
        assert "is a symlink or not owned by" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="making a directory another user owns needs root")
def test_a_state_dir_of_another_user_is_refused(tmp_path):
    state_dir = tmp_path / "cluster"
    state_dir.mkdir()
    os.chown(state_dir, 65534, 65534)  # nobody
    result = run(state_dir, "down")
    assert result.returncode == 1
    assert "is a symlink or not owned by" in result.stderr
