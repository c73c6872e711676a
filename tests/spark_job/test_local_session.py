"""The local SparkSession's settings reach the JVM that runs the job (`liberta.spark_local`)."""

from __future__ import annotations

from typing import Any

from liberta.spark_local import default_driver_memory


def _vm_option(spark: Any, name: str) -> str:
    jvm = spark.sparkContext._jvm
    bean = jvm.java.lang.management.ManagementFactory.getPlatformMXBean(
        jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    )
    return str(bean.getVMOption(name).getValue())


def test_the_jvm_runs_with_the_inlining_limits_and_g1(spark: Any) -> None:
    assert _vm_option(spark, "InlineSmallCode") == "1000"
    assert _vm_option(spark, "FreqInlineSize") == "150"
    assert _vm_option(spark, "UseG1GC") == "true"


def test_the_jvm_and_the_session_run_in_utc(spark: Any) -> None:
    jvm = spark.sparkContext._jvm
    assert str(jvm.java.util.TimeZone.getDefault().getID()) == "UTC"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"


def test_driver_heap_is_40_percent_of_memory_between_1_and_2_gib() -> None:
    assert default_driver_memory(1024) == "1024m"
    assert default_driver_memory(4000) == "1600m"
    assert default_driver_memory(24 * 1024) == "2048m"
