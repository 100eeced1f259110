#!/usr/bin/env python3
"""promcheck.py -- a strict checker for the Prometheus text format 0.0.4.

Used by the tests instead of `promtool check metrics` (Debian's prometheus
package is large).  Usage:

  promcheck.py check FILE              exit 0 when FILE is valid, else print
                                       one "line N: problem" per problem, exit 1
  promcheck.py value FILE SERIES       print the value of one series, written
                                       as in the file: 'name{label="v"}'
  promcheck.py increased OLD NEW SERIES...
                                       exit 0 when every SERIES is larger in
                                       NEW than in OLD

  promcheck.py selftest                check that each lint below catches
                                       a text made to break it

What `check` enforces, beyond the grammar (metric and label names, label
value escapes, float values, the final newline): every family has exactly
one HELP and one TYPE line, both before its samples; the samples of a
family are contiguous; no series appears twice; counters are named *_total
and are not negative; gauges and counters have samples named like the
family; a histogram has only _bucket (with le), _sum and _count samples,
its le bounds increase and end with +Inf, bucket counts never decrease and
the +Inf bucket equals _count.

And what `promtool check metrics` lints (client_golang's promlint): base
units (seconds, bytes, ... not milliseconds or kilobytes), no _total on
what is not a counter, no _bucket/_count/_sum suffix nor le/quantile label
outside histograms and summaries, no metric type in a name, no ':' in a
name, snake_case metric and label names, no abbreviated units (_ms, _sec,
_kb, ...).  Also: label names do not start with "__" (reserved), and an
info metric (*_info) is a gauge whose samples are 1.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
NAME_RE = re.compile(NAME + r"\Z")
SAMPLE_RE = re.compile(r"(" + NAME + r")(\{(.*)\})? (\S+)( -?[0-9]+)?\Z")
LABEL_RE = re.compile(r"(" + LABEL + r')="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


# promlint's units: unit -> base unit, the prefixes it knows, and the
# abbreviations it discourages.
UNITS = {
    "amperes": "amperes", "bytes": "bytes", "celsius": "celsius",
    "grams": "grams", "joules": "joules", "kelvin": "kelvin",
    "meters": "meters", "metres": "metres", "seconds": "seconds",
    "volts": "volts", "minutes": "seconds", "hours": "seconds",
    "days": "seconds", "weeks": "seconds", "kelvins": "kelvin",
    "fahrenheit": "celsius", "rankine": "celsius", "inches": "meters",
    "yards": "meters", "miles": "meters", "bits": "bytes",
    "calories": "joules", "pounds": "grams", "ounces": "grams",
}
PREFIXES = ["pico", "nano", "micro", "milli", "centi", "deci", "deca",
            "hecto", "kilo", "kibi", "mega", "mibi", "giga", "gibi", "tera",
            "tebi", "peta", "pebi", ""]
ABBREVIATIONS = ["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb",
                 "pb", "m", "h", "d"]
TYPE_WORDS = ["counter", "gauge", "histogram", "summary", "gauge_histogram"]
CAMEL = re.compile(r"[a-z][A-Z]")


def parse_float(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?", text):
        raise ValueError(text)
    return float(text)


def parse_labels(text):
    """'a="x",b="y"' -> (("a","x"),("b","y")); raises ValueError."""
    labels, pos = [], 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        if not m:
            raise ValueError("bad label at %r" % text[pos:])
        labels.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise ValueError("expected ',' at %r" % text[pos:])
            pos += 1
    names = [n for n, _ in labels]
    if len(set(names)) != len(names):
        raise ValueError("duplicate label name")
    return tuple(labels)


class Family:
    def __init__(self, name):
        self.name = name
        self.help = self.type = None
        self.samples = []  # (line, sample name, labels, value)
        self.closed = False


class Checker:
    def __init__(self):
        self.problems = []
        self.families = {}
        self.current = None
        self.series = set()

    def problem(self, lineno, text):
        self.problems.append("line %d: %s" % (lineno, text))

    def family(self, name, lineno):
        fam = self.families.get(name)
        if fam is None:
            fam = self.families[name] = Family(name)
        elif fam.closed or (self.current is not fam and fam.samples):
            self.problem(lineno, "%s: family is not contiguous" % name)
        if self.current is not None and self.current is not fam:
            self.current.closed = True
        self.current = fam
        return fam

    def meta(self, lineno, line):
        parts = line.split(" ", 3)
        if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
            return  # a plain comment
        kind, name = parts[1], parts[2]
        if not NAME_RE.match(name):
            self.problem(lineno, "bad metric name %r" % name)
            return
        fam = self.family(name, lineno)
        rest = parts[3] if len(parts) == 4 else ""
        if fam.samples:
            self.problem(lineno, "%s: %s after samples" % (name, kind))
        if kind == "HELP":
            if fam.help is not None:
                self.problem(lineno, "%s: second HELP" % name)
            if not rest.strip():
                self.problem(lineno, "%s: empty HELP" % name)
            if re.search(r"\\[^\\n]", rest):
                self.problem(lineno, "%s: bad escape in HELP" % name)
            fam.help = rest
        else:
            if fam.type is not None:
                self.problem(lineno, "%s: second TYPE" % name)
            if rest not in TYPES:
                self.problem(lineno, "%s: unknown type %r" % (name, rest))
            fam.type = rest

    def owner(self, sample_name):
        """The family a sample belongs to: exact name, or histogram parts."""
        if sample_name in self.families:
            return self.families[sample_name]
        for suffix in ("_bucket", "_sum", "_count"):
            base = sample_name[: -len(suffix)]
            if sample_name.endswith(suffix) and base in self.families:
                return self.families[base]
        return None

    def sample(self, lineno, line):
        m = SAMPLE_RE.match(line)
        if not m:
            self.problem(lineno, "not a sample line: %r" % line)
            return
        name, labels_text, value_text = m.group(1), m.group(3), m.group(4)
        try:
            labels = parse_labels(labels_text or "")
            value = parse_float(value_text)
        except ValueError as e:
            self.problem(lineno, "%s: %s" % (name, e))
            return
        fam = self.owner(name)
        if fam is None or fam.type is None:
            self.problem(lineno, "%s: sample without TYPE" % name)
            return
        if fam is not self.current:
            self.problem(lineno, "%s: family is not contiguous" % fam.name)
        key = (name, tuple(sorted(labels)))
        if key in self.series:
            self.problem(lineno, "%s: duplicate series" % line)
        self.series.add(key)
        fam.samples.append((lineno, name, labels, value))

    def lint(self, fam):
        """What promtool's linter says of a family, and two more."""
        name, low, t = fam.name, fam.name.lower(), fam.type
        words = name.split("_")
        for unit, base in UNITS.items():
            if unit != base and any(w == p + unit for p in PREFIXES for w in words):
                self.problem(0, "%s: use base unit %r instead of %r" % (name, base, unit))
            elif unit == base:
                for p in PREFIXES[:-1]:
                    if p + unit in words:
                        self.problem(0, "%s: use base unit %r instead of %r"
                                     % (name, base, p + unit))
        if t not in ("counter", "untyped") and name.endswith("_total"):
            self.problem(0, "%s: non-counter metrics should not have \"_total\" suffix" % name)
        if t != "untyped":
            if t != "histogram" and name.endswith("_bucket"):
                self.problem(0, "%s: non-histogram metric with \"_bucket\" suffix" % name)
            for suffix in ("_count", "_sum"):
                if t not in ("histogram", "summary") and name.endswith(suffix):
                    self.problem(0, "%s: non-histogram, non-summary metric with %r suffix"
                                 % (name, suffix))
            for lineno, _, labels, _ in fam.samples:
                names = [n for n, _ in labels]
                if t != "histogram" and "le" in names:
                    self.problem(lineno, "%s: \"le\" label outside a histogram" % name)
                if t != "summary" and "quantile" in names:
                    self.problem(lineno, "%s: \"quantile\" label outside a summary" % name)
        for w in TYPE_WORDS:
            if "_" + w + "_" in low or low.endswith("_" + w):
                self.problem(0, "%s: metric name should not include type %r" % (name, w))
        if ":" in name:
            self.problem(0, "%s: metric names should not contain ':'" % name)
        if CAMEL.search(name):
            self.problem(0, "%s: metric names should be snake_case, not camelCase" % name)
        for a in ABBREVIATIONS:
            if "_" + a + "_" in low or low.endswith("_" + a):
                self.problem(0, "%s: abbreviated unit %r in the name" % (name, a))
        for lineno, _, labels, value in fam.samples:
            for n, _ in labels:
                if CAMEL.search(n):
                    self.problem(lineno, "%s: label %s should be snake_case" % (name, n))
                if n.startswith("__"):
                    self.problem(lineno, "%s: label %s is reserved (\"__\")" % (name, n))
            if name.endswith("_info") and value != 1:
                self.problem(lineno, "%s: an info metric's value is 1" % name)
        if name.endswith("_info") and t != "gauge":
            self.problem(0, "%s: an info metric is a gauge" % name)

    def finish_family(self, fam):
        self.lint(fam)
        if fam.help is None:
            self.problem(0, "%s: no HELP" % fam.name)
        if fam.type is None:
            self.problem(0, "%s: no TYPE" % fam.name)
        if fam.type in ("counter", "gauge", "untyped"):
            for lineno, name, _, value in fam.samples:
                if name != fam.name:
                    self.problem(lineno, "%s: sample name %s" % (fam.name, name))
                if fam.type == "counter" and not value >= 0:
                    self.problem(lineno, "%s: negative counter" % name)
        if fam.type == "counter" and not fam.name.endswith("_total"):
            self.problem(0, "%s: counter name should end in _total" % fam.name)
        if fam.type == "histogram":
            self.check_histogram(fam)

    def check_histogram(self, fam):
        groups = {}
        for lineno, name, labels, value in fam.samples:
            rest = tuple(sorted(l for l in labels if l[0] != "le"))
            g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
            if name == fam.name + "_bucket":
                le = dict(labels).get("le")
                if le is None:
                    self.problem(lineno, "%s: bucket without le" % name)
                    continue
                try:
                    g["buckets"].append((parse_float(le), value, lineno))
                except ValueError:
                    self.problem(lineno, "%s: bad le %r" % (name, le))
            elif name == fam.name + "_sum":
                g["sum"] = value
            elif name == fam.name + "_count":
                g["count"] = value
            else:
                self.problem(lineno, "%s: not a histogram sample" % name)
        for g in groups.values():
            b = g["buckets"]
            if not b or b[-1][0] != math.inf:
                self.problem(0, "%s: no +Inf bucket last" % fam.name)
                continue
            for (le0, v0, _), (le1, v1, lineno) in zip(b, b[1:]):
                if not le1 > le0:
                    self.problem(lineno, "%s: le not increasing" % fam.name)
                if v1 < v0:
                    self.problem(lineno, "%s: bucket count decreases" % fam.name)
            if g["sum"] is None or g["count"] is None:
                self.problem(0, "%s: missing _sum or _count" % fam.name)
            elif g["count"] != b[-1][1]:
                self.problem(0, "%s: _count != +Inf bucket" % fam.name)

    def run(self, text):
        if not text.endswith("\n"):
            self.problem(0, "the text does not end with a newline")
        for lineno, line in enumerate(text.split("\n")[:-1], 1):
            if line == "":
                self.problem(lineno, "empty line")
            elif line.startswith("#"):
                self.meta(lineno, line)
            else:
                self.sample(lineno, line)
        for fam in self.families.values():
            self.finish_family(fam)
        return self.problems


def series_values(text):
    out = {}
    for line in text.split("\n"):
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = parse_float(value)
    return out


# Texts that each break one rule, and a word of the problem expected.
SELFTEST = [
    ("# HELP a_ms x\n# TYPE a_ms gauge\na_ms 1\n", "abbreviated unit"),
    ("# HELP a_milliseconds x\n# TYPE a_milliseconds gauge\na_milliseconds 1\n", "base unit"),
    ("# HELP a_kilobytes x\n# TYPE a_kilobytes gauge\na_kilobytes 1\n", "base unit"),
    ("# HELP a_total x\n# TYPE a_total gauge\na_total 1\n", "non-counter"),
    ("# HELP a x\n# TYPE a counter\na 1\n", "_total"),
    ("# HELP a_count x\n# TYPE a_count gauge\na_count 1\n", "_count"),
    ("# HELP a_bucket x\n# TYPE a_bucket gauge\na_bucket 1\n", "_bucket"),
    ('# HELP a x\n# TYPE a gauge\na{le="1"} 1\n', "le"),
    ('# HELP a x\n# TYPE a gauge\na{quantile="1"} 1\n', "quantile"),
    ("# HELP a_gauge x\n# TYPE a_gauge gauge\na_gauge 1\n", "type"),
    ("# HELP a:b x\n# TYPE a:b gauge\na:b 1\n", "':'"),
    ("# HELP aB x\n# TYPE aB gauge\naB 1\n", "camelCase"),
    ('# HELP a x\n# TYPE a gauge\na{fooBar="1"} 1\n', "snake_case"),
    ('# HELP a x\n# TYPE a gauge\na{__x="1"} 1\n', "reserved"),
    ('# HELP a_info x\n# TYPE a_info gauge\na_info{v="1"} 2\n', "info metric"),
    ('# HELP a_info x\n# TYPE a_info counter\na_info 1\n', "info metric"),
    ("# TYPE a gauge\na 1\n", "no HELP"),
    ("# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n",
     "contiguous"),
]


def selftest():
    bad = 0
    for text, want in SELFTEST:
        problems = Checker().run(text)
        if not any(want in p for p in problems):
            print("not caught (%r): %r -> %r" % (want, text, problems))
            bad += 1
    good = ('# HELP ok_seconds x\n# TYPE ok_seconds gauge\nok_seconds{a_b="1"} 1\n'
            '# HELP ok_build_info x\n# TYPE ok_build_info gauge\nok_build_info{version="1"} 1\n'
            '# HELP ok_bytes_total x\n# TYPE ok_bytes_total counter\nok_bytes_total 3\n')
    problems = Checker().run(good)
    if problems:
        print("a clean text has problems: %r" % problems)
        bad += 1
    print("%d rules checked, %d failed" % (len(SELFTEST) + 1, bad))
    return 1 if bad or not SELFTEST else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        return selftest()
    if len(argv) == 3 and argv[1] == "check":
        problems = Checker().run(open(argv[2], encoding="utf-8").read())
        for p in problems:
            print(p)
        return 1 if problems else 0
    if len(argv) == 4 and argv[1] == "value":
        values = series_values(open(argv[2], encoding="utf-8").read())
        if argv[3] not in values:
            print("no series %s" % argv[3], file=sys.stderr)
            return 1
        print("%g" % values[argv[3]])
        return 0
    if len(argv) >= 5 and argv[1] == "increased":
        old = series_values(open(argv[2], encoding="utf-8").read())
        new = series_values(open(argv[3], encoding="utf-8").read())
        bad = [s for s in argv[4:] if not new.get(s, 0) > old.get(s, 0)]
        for s in bad:
            print("%s: %s -> %s" % (s, old.get(s), new.get(s)), file=sys.stderr)
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
