"""JUnit XML of a check: one ``<testsuite>`` per run, one ``<testcase>`` per run and gate
(``classname`` = the run's source, ``name`` = the gate). A failed gate carries a
``<failure>`` with its details; a passed one its details in ``<system-out>``; every gate of a
run that could not be read is an ``<error>``, so the count of testcases stays the same from
build to build."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .core import Outcome

#: characters XML 1.0 cannot hold, even escaped
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def render_junit(outcome: Outcome) -> str:
    """The outcome as a JUnit XML document (a string, with its declaration)."""
    root = ET.Element("testsuites", name="overfitdoc check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for rc in outcome.runs:
        suite = ET.SubElement(root, "testsuite", name=_x(rc.source))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        if rc.error is not None:
            for gate in outcome.gates:
                case = ET.SubElement(suite, "testcase", classname=_x(rc.source), name=gate, file=_x(rc.source),
                                     time="0")
                err = ET.SubElement(case, "error", message=_x(rc.error), type="unreadable")
                err.text = _x(f"{rc.source}: {rc.error}")
                counts["tests"] += 1
                counts["errors"] += 1
        for r in rc.results:
            case = ET.SubElement(suite, "testcase", classname=_x(rc.source), name=_x(r.gate), file=_x(rc.source),
                                 time="0")
            counts["tests"] += 1
            if r.passed:
                ET.SubElement(case, "system-out").text = _x(r.details)
            else:
                fail = ET.SubElement(case, "failure", message=_x(r.details), type=_x(r.gate))
                fail.text = _x(r.details)
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
