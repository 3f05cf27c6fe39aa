"""Run fail2ban itself with banpipe's built-in filters over fail2ban's own
annotated sample logs (tests/files/logs), and report every annotated case
on which the verdict differs from the annotation.

usage: python3 stock.py FILTERS_DIR LOGS_DIR [NAME...]

Each line is processed as fail2ban's tests/samplestestcase.py does
(filterOptions, fileOptions, constraint, journal logtype, one filter per
option set); the coverage check of that test ("every regex has a sample")
is left out, since the samples are fail2ban's and the regexes ours.
Prints "MISMATCH <file>:<line> <combination>: <reason>" lines, then
"<agree> of <cases> agree". Exit status 0; 2 when fail2ban is missing.
"""
import datetime
import json
import os
import re
import sys
import time

try:
    from fail2ban.tests import utils
except ImportError as e:
    print("fail2ban not importable: %s" % e, file=sys.stderr)
    sys.exit(2)
utils.initTests(None)
from fail2ban.tests.utils import setUpMyTime, TEST_NOW  # noqa: E402
from fail2ban.tests.samplestestcase import TEST_NOW_STR  # noqa: E402
from fail2ban.server.filter import Filter  # noqa: E402
from fail2ban.client.filterreader import FilterReader  # noqa: E402

setUpMyTime()
base, logs = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
names = sys.argv[3:] or sorted(
    f[:-5] for f in os.listdir(os.path.join(base, 'filter.d'))
    if f.endswith('.conf') and not f.endswith('common.conf')
    and os.path.isfile(os.path.join(logs, f[:-5])))


def read_filter(name, opts, cache):
    key = name + json.dumps(opts, sort_keys=True)
    if key not in cache:
        flt = Filter(None)
        flt.returnRawHost = True
        flt.checkAllRegex = True
        flt.checkFindTime = False
        flt.active = True
        fc = FilterReader(name, "jail", dict(opts), basedir=base, share_config={})
        fc.read()
        fc.getOptions({})
        for opt in fc.convert():
            for v in (opt[3] if opt[0] == 'multi-set' else [opt[3]]):
                k = opt[2]
                if k == 'prefregex':
                    flt.prefRegex = v
                elif k == 'addfailregex':
                    flt.addFailRegex(v)
                elif k == 'addignoreregex':
                    flt.addIgnoreRegex(v)
                elif k == 'maxlines':
                    flt.setMaxLines(v)
                elif k == 'datepattern':
                    flt.setDatePattern(v)
        cache[key] = flt
    return cache[key]


def check(fd, ret):
    found = [r for r in (ret or []) if r[1] is not None and not r[3].get('nofail')]
    if not found:
        return "" if not fd.get('match', False) else "not matched, should have"
    if not fd.get('match', False):
        return "matched %s, should not have" % found[0][1]
    if len(found) != 1:
        return "%d regexes matched" % len(found)
    _, fid, t, fail = found[0]
    for k, v in fd.items():
        if k in ("time", "match", "desc", "constraint"):
            continue
        fv = fail.get(k, None)
        if fv is None:
            if k == "host":
                fv = fid
            if k == "attempts":
                fv = len(fail.get('matches', {}))
        if isinstance(fv, (set, list, dict)):
            if sorted(fv) != sorted(v):
                return "%s %r, want %r" % (k, fv, v)
        elif fv != v:
            return "%s %r, want %r" % (k, fv, v)
    if fd.get("time") is not None:
        ts = fd["time"]
        try:
            want = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            want = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f")
        wt = time.mktime(want.timetuple()) + want.microsecond / 1000000.0
        if t != wt:
            return "time %s, want %s" % (t, wt)
    return ""


cases = agree = 0
for name in names:
    cache = {}
    files, tests, common = [name], None, {}
    i = 0
    while i < len(files):
        fn = files[i]
        i += 1
        lines = open(os.path.join(logs, fn), encoding='utf-8').read().split('\n')
        j, ignore = 0, False
        while j < len(lines):
            line = lines[j]
            j += 1
            fd = {}
            m = re.match(r"^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$", line)
            if m:
                d = json.loads(m.group(2))
                if m.group(1) == 'fileOptions':
                    common = d
                    continue
                if m.group(1) == 'addFILE':
                    files.append(d)
                    continue
                if m.group(1) == 'filterOptions':
                    tests, ignore = [], False
                    for o in (d if isinstance(d, list) else [d]):
                        opts = dict(common)
                        opts.update(o)
                        if opts.get('test.condition'):
                            ignore = not eval(opts['test.condition'])
                        if not ignore:
                            fo = {k: v for k, v in opts.items() if not k.startswith('test.')}
                            tests.append((opts, read_filter(name, fo, cache)))
                    continue
                fd = d
                if j >= len(lines):
                    break
                line = lines[j]
                j += 1
            elif ignore or line.startswith('#') or not line.strip():
                continue
            if ignore:
                continue
            if tests is None:
                tests = [({}, read_filter(name, {}, cache))]
            line = line.rstrip('\r\n')
            for opts, flt in tests:
                if fd.get('constraint') and not eval(fd['constraint']):
                    continue
                if opts.get('logtype') != 'journal':
                    ret = flt.processLine(line)
                else:
                    ln = (opts.get('test.prefix-line') or '') + line
                    ret = flt.processLine(('', TEST_NOW_STR, ln), TEST_NOW)
                if not fd:
                    continue
                cases += 1
                why = check(fd, ret)
                if why:
                    combo = json.dumps({k: v for k, v in opts.items() if not k.startswith('test.')}, sort_keys=True)
                    print("MISMATCH %s:%d %s: %s\n    %s" % (fn, j, combo, why, line))
                else:
                    agree += 1
print("%d of %d agree" % (agree, cases))
