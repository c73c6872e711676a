"""The plain parser: typed contract fields in one streaming pass, for plain records only.

`liberta.spark.PlainRecordParser` (Java, `emr_jobs/jvm/`, shipped built as
`emr_jobs/data/liberta-spark.jar`) reads a line with Jackson's streaming parser and returns
every field of `FIELD_KINDS` already typed, or null when the record is not plain (see the
class: anything but one JSON object whose contract fields are exactly the JSON tokens of
their kinds). For those records the exact path (`from_json` with the all-text schema, then
the coercion expressions of `emr_jobs.validate`) is not evaluated at all; the others take it
unchanged. Validity is decided by the same expressions for both (`reason_column`), so the
parser encodes token kinds, not the contract's rules.

Measured at 1M events warm in one JVM, the staging projection on the plain parser costs
less than Spark's `from_json` alone (see the README's Performance section).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from emr_jobs.validate import FIELD_KINDS, slot_name

JAR_NAME = "liberta-spark.jar"
CLASS_NAME = "liberta.spark.PlainRecordParser"
UDF_NAME = "liberta_plain_record"

_SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "long": T.LongType(),
    "long_or_fraction": T.LongType(),
    "double": T.DoubleType(),
    "bool": T.BooleanType(),
    "object": T.StringType(),
}
# The Java class knows "long" (a fraction makes the record not plain) and "long_or_fraction"
# (a fraction reads as null; the field is also read as a double, which shows it present).
PLAIN_SCHEMA = T.StructType(
    [T.StructField(slot_name(field, kind), _SPARK_TYPES[kind]) for field, kind in FIELD_KINDS]
)

_lock = threading.Lock()


def jar_path() -> Path:
    """The shipped jar as a file (copied to a temporary file when the package is a zip)."""
    ref = resources.files("emr_jobs") / "data" / JAR_NAME
    if isinstance(ref, Path):
        return ref
    # Inside the --py-files zip on EMR: copy it out, named by its content.
    content = ref.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"liberta-spark-{digest}.jar"
    if not out.is_file():
        partial = out.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(content)
        partial.replace(out)
    return out


def register(spark: SparkSession) -> None:
    """Add the jar to the session (driver and executors) and register the UDF `UDF_NAME` in
    it; does nothing when the session has it already."""
    with _lock:
        if spark.catalog.functionExists(UDF_NAME):
            return
        jar = jar_path()
        context = spark.sparkContext
        added = str(context._jsc.sc().listJars().mkString("\n")).splitlines()
        if not any(uri.endswith("/" + jar.name) for uri in added):
            spark.sql(f"ADD JAR '{jar.as_posix()}'")
        jvm, gateway = context._jvm, context._gateway
        assert jvm is not None and gateway is not None
        paths = gateway.new_array(jvm.java.lang.String, len(FIELD_KINDS))
        kinds = gateway.new_array(jvm.java.lang.String, len(FIELD_KINDS))
        for i, (field, kind) in enumerate(FIELD_KINDS):
            paths[i] = field
            kinds[i] = kind
        # Through the session's own class loader, which ADD JAR extended: the thread calling
        # this need not be the one that added the jar.
        loader = spark._jsparkSession.sharedState().jarClassLoader()
        parser_class = jvm.java.lang.Class.forName(CLASS_NAME, True, loader)
        signature = gateway.new_array(jvm.java.lang.Class, 2)
        signature[0] = signature[1] = paths.getClass()
        arguments = gateway.new_array(jvm.java.lang.Object, 2)
        arguments[0], arguments[1] = paths, kinds
        parser = parser_class.getConstructor(signature).newInstance(arguments)
        return_type = spark._jsparkSession.parseDataType(PLAIN_SCHEMA.json())
        spark._jsparkSession.udf().register(UDF_NAME, parser, return_type)


def plain_record(spark: SparkSession, value: str = "value") -> Column:
    """The plain parser's struct for the line column `value` (null where not plain)."""
    register(spark)
    return F.call_udf(UDF_NAME, F.col(value).cast("binary"))
