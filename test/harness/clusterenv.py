"""Reads the settings file cluster-up.sh writes (<state>/env), for the
Python test suites and benchmarks that drive a local control plane."""
import pathlib
import re


def read_env(state_dir):
    """The `export NAME="value"` lines of <state_dir>/env as a dict."""
    env = {}
    for line in (pathlib.Path(state_dir) / "env").read_text().splitlines():
        m = re.match(r'export (\w+)="?([^"]*)"?$', line.strip())
        if m:
            env[m.group(1)] = m.group(2)
    return env
