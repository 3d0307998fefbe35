"""The production files of deploy/ run here with Debian's own nginx, openssl and systemd tools,
which `make test` installs (`deploy/local-cluster.sh install`). Without apt (not Debian, not
root) the tests that need a missing tool are skipped with a loud message, like the browser tests."""

import shutil
import warnings

import pytest


@pytest.fixture(scope="session")
def tool():
    def need(name: str) -> str:
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if path is None:
            message = f"!!! {name} missing: deploy tests SKIPPED — run `deploy/local-cluster.sh install` !!!"
            warnings.warn(message, stacklevel=1)
            pytest.skip(message)
        return path

    return need
