"""The stable ABI: the module built here is abi3 and loads in the machine's other Pythons
(every CPython 3.9+ found on PATH or under ~/.pyenv: here 3.9 to 3.13)."""
import glob
import os
import shutil
import subprocess
import sys

import senti


def other_pythons():
    found = set()
    for p in [shutil.which("python3")] + glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")):
        if p and os.path.realpath(p) != os.path.realpath(sys.executable):
            found.add(os.path.realpath(p))
    return sorted(found)


def test_module_is_abi3():
    assert senti._senti.__file__.endswith(".abi3.so")


def test_loads_in_other_pythons():
    pkg_dir = os.path.dirname(os.path.dirname(senti.__file__))
    code = ("import senti, sys; assert sys.version_info >= (3, 9); "
            "r = senti.Model().predict('what a wonderful, moving film'); print(r.label)")
    ran = []
    for py in other_pythons():
        env = dict(os.environ, PYTHONPATH=pkg_dir)
        probe = subprocess.run([py, "-c", "import sys; print(sys.implementation.name, sys.version_info >= (3, 9))"],
                               capture_output=True, text=True, env=env)
        if probe.stdout.split() != ["cpython", "True"]:
            continue
        out = subprocess.run([py, "-c", code], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0 and out.stdout.strip() == "positive", (py, out.stderr)
        ran.append(py)
    print("the module loads in: %s" % ", ".join(ran))
