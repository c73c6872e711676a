"""Build `emr_jobs/data/liberta-spark.jar` from `emr_jobs/jvm/src` (`make jar`).

Compiled with `javac --release 8` (EMR 6 runs Java 8, EMR 7 Java 17) against the jars PySpark
ships, and zipped with fixed timestamps in a fixed order, so the same sources and the same
javac give the same bytes; `tests/spark_job/test_plain_parser.py` rebuilds it and compares.

    python -m liberta.jvm_build            # write the jar
    python -m liberta.jvm_build --check    # exit 1 when the shipped jar is out of date
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "emr_jobs" / "jvm" / "src"
JAR = ROOT / "emr_jobs" / "data" / "liberta-spark.jar"
# What the classes compile against (all shipped in pyspark/jars).
CLASSPATH_JARS = ("jackson-core-*.jar", "spark-sql-api_*.jar")
_DATE_TIME = (2020, 1, 1, 0, 0, 0)
_MANIFEST = b"Manifest-Version: 1.0\r\nCreated-By: liberta.jvm_build\r\n\r\n"


def _classpath() -> str:
    import pyspark

    jars_dir = Path(pyspark.__file__).parent / "jars"
    found = []
    for pattern in CLASSPATH_JARS:
        matches = sorted(jars_dir.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"{pattern} not found in {jars_dir}")
        found.append(str(matches[0]))
    return ":".join(found)


def build_jar_bytes() -> bytes:
    """Compile the sources and return the jar's bytes."""
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError("javac (a JDK, 8 or later) is needed to build the jar")
    sources = sorted(str(p) for p in SOURCES.rglob("*.java"))
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        subprocess.run(
            [javac, "--release", "8", "-encoding", "UTF-8", "-nowarn", "-d", str(classes),
             "-cp", _classpath(), *sources],
            check=True,
        )  # fmt: skip
        jar = Path(tmp) / "out.jar"
        with zipfile.ZipFile(jar, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            entries = [("META-INF/MANIFEST.MF", _MANIFEST)] + [
                (p.relative_to(classes).as_posix(), p.read_bytes())
                for p in sorted(classes.rglob("*.class"))
            ]
            for name, content in entries:
                info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, content)
        return jar.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liberta.jvm_build")
    parser.add_argument("--check", action="store_true", help="fail if the jar is out of date")
    args = parser.parse_args(argv)
    built = build_jar_bytes()
    if args.check:
        if not JAR.is_file() or JAR.read_bytes() != built:
            print(f"{JAR} is out of date: run `make jar`", file=sys.stderr)
            return 1
        return 0
    JAR.write_bytes(built)
    print(f"wrote {JAR} ({len(built):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
