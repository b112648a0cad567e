"""setup.py - builds the `senti` package: the Python modules in senti/ and the C extension
senti._senti (_senti.c) linked statically against the tree's libsenti.

    pip install --no-build-isolation --no-index ./python     (from the repository root)
    pip wheel --no-build-isolation --no-index -w dist ./python

The extension is compiled against the stable ABI (abi3, CPython 3.9+), so one wheel serves
every later Python. It links build/libsenti-tools.a and build/libsenti.a (built here with
`make` if they are missing; SENTI_BUILD_DIR picks another build folder) and, when Debian's
static archives are installed, libcsv, libutf8proc, libjansson and libxxhash too, so the
installed module needs nothing but libc; without them it links their shared libraries.
"""
import os
import subprocess
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("SENTI_BUILD_DIR", "build")
LIBS = [os.path.join(ROOT, BUILD, "libsenti-tools.a"), os.path.join(ROOT, BUILD, "libsenti.a")]
# SENTI_SANITIZE=address,undefined: the extension for a sanitized library (build-san/); run
# Python with the sanitizer runtimes preloaded (make python-san, tests/run.sh python-san)
SANITIZE = ["-fsanitize=" + os.environ["SENTI_SANITIZE"]] if os.environ.get("SENTI_SANITIZE") else []
STATIC_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"]


def links_into_shared_object(archive):
    """True if the archive is position-independent code (a shared object can hold it)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [os.environ.get("CC", "cc"), "-shared", "-o", os.path.join(tmp, "probe.so"),
               "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive", "-Wl,--unresolved-symbols=ignore-all"]
        return subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def dependency_link():
    """Static archives of the library's dependencies where present and position-independent
    (Debian's libjansson.a is not), else -l flags for their shared libraries."""
    objects, libraries = [], []
    for name in ("csv", "utf8proc", "jansson", "xxhash"):
        found = [os.path.join(d, "lib%s.a" % name) for d in STATIC_DIRS
                 if os.path.exists(os.path.join(d, "lib%s.a" % name))]
        if found and not os.environ.get("SENTI_SHARED_DEPS") and links_into_shared_object(found[0]):
            objects.append(found[0])
        else:
            libraries.append(name)
    return objects, libraries + ["m"]


class BuildExt(build_ext):
    """Builds the static libraries with the tree's Makefile first, when they are missing."""

    def run(self):
        if not all(os.path.exists(p) for p in LIBS):
            san = ["SANITIZE=" + os.environ["SENTI_SANITIZE"]] if SANITIZE else []
            subprocess.check_call(["make", "-C", ROOT, "-j2"] + san +
                                  [os.path.join(BUILD, "libsenti.a"), os.path.join(BUILD, "libsenti-tools.a")])
        super().run()


def version():
    with open(os.path.join(ROOT, "include", "senti.h"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#define SENTI_VERSION_STRING"):
                return line.split('"')[1]
    raise RuntimeError("no SENTI_VERSION_STRING in include/senti.h")


dep_objects, dep_libraries = dependency_link()
setup(
    name="senti",
    version=version(),
    description="Sentiment analysis at C speed: libsenti's models, a VADER drop-in, "
                "scikit-learn and pandas helpers",
    packages=["senti"],
    package_data={"senti": ["py.typed", "*.pyi"]},
    include_package_data=False,
    python_requires=">=3.9",
    ext_modules=[Extension(
        "senti._senti",
        sources=["_senti.c"],
        include_dirs=[os.path.join(ROOT, "include"), os.path.join(ROOT, "src")],
        extra_objects=LIBS + dep_objects,
        depends=LIBS + [os.path.join(ROOT, "include", "senti.h")],
        libraries=dep_libraries,
        extra_compile_args=SANITIZE + ["-std=c17", "-Wall", "-Wextra", "-Werror", "-Wno-missing-field-initializers",
                            "-Wno-cast-function-type", "-fvisibility=hidden"],
        extra_link_args=SANITIZE + ["-pthread", "-Wl,--exclude-libs,ALL"],
        define_macros=[("Py_LIMITED_API", "0x03090000")],
        py_limited_api=True,
    )],
    cmdclass={"build_ext": BuildExt},
    # objects go to the build folder of the library they link (not python/build)
    options={"bdist_wheel": {"py_limited_api": "cp39"},
             "build": {"build_base": os.path.join(ROOT, BUILD, "python-build")}},
    zip_safe=False,
)
