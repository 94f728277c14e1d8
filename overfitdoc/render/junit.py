"""JUnit XML of a check, read from the report that ``check --format json`` prints: one
``<testsuite>`` per run, one ``<testcase>`` per run and gate (``classname`` = the run's
source, ``name`` = the gate). A failed gate carries a ``<failure>`` with its details; a passed
one its details in ``<system-out>``; a gate that could not be applied (the run lacks what it
measures) and every gate of a run that could not be read is an ``<error>``, so the count of
testcases stays the same from build to build."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

#: characters XML 1.0 cannot hold, even escaped
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def render_junit(report: dict) -> str:
    """The check's report as a JUnit XML document (a string, with its declaration)."""
    root = ET.Element("testsuites", name="overfitdoc check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for run in report["runs"]:
        source = _x(run["source"])
        suite = ET.SubElement(root, "testsuite", name=source)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        if not run["ok"]:
            for gate in report["gates"]:
                case = ET.SubElement(suite, "testcase", classname=source, name=_x(gate), file=source, time="0")
                err = ET.SubElement(case, "error", message=_x(run["error"]), type="unreadable")
                err.text = _x(f"{run['source']}: {run['error']}")
                counts["tests"] += 1
                counts["errors"] += 1
        for name, g in (run.get("gates") or {}).items():
            case = ET.SubElement(suite, "testcase", classname=source, name=_x(name), file=source, time="0")
            counts["tests"] += 1
            if g["status"] == "pass":
                ET.SubElement(case, "system-out").text = _x(g["details"])
            elif g["status"] == "not applied":
                err = ET.SubElement(case, "error", message=_x(g["details"]), type="not applied")
                err.text = _x(f"{run['source']}: {name} not applied: {g['details']}")
                counts["errors"] += 1
            else:
                fail = ET.SubElement(case, "failure", message=_x(g["details"]), type=_x(name))
                fail.text = _x(g["details"])
                counts["failures"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("skipped", "0")
        suite.set("time", "0")
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
