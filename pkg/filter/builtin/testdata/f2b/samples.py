"""Run fail2ban's own sample-test procedure (tests/samplestestcase.py) over
banpipe's built-in filters and their annotated sample logs.

usage: python3 samples.py FILTERS_DIR [NAME...]

FILTERS_DIR holds filter.d/ and testdata/ (pkg/filter/builtin). Exit status 0 when
every sample file passes, 1 otherwise; 2 when fail2ban cannot be imported.
"""
import os
import sys
import tempfile
import unittest

try:
    from fail2ban.tests import utils
except ImportError as e:
    print("fail2ban not importable: %s" % e, file=sys.stderr)
    sys.exit(2)

utils.initTests(None)
from fail2ban.tests import samplestestcase as sc  # noqa: E402

base = os.path.abspath(sys.argv[1])
names = sys.argv[2:]
if not names:
    names = sorted(f[:-5] for f in os.listdir(os.path.join(base, 'filter.d'))
                   if f.endswith('.conf') and not f.endswith('common.conf'))

# samplestestcase reads TEST_FILES_DIR/logs/NAME: point it at our testdata.
tmp = tempfile.mkdtemp(prefix='banpipe-f2b-')
os.symlink(os.path.join(base, 'testdata'), os.path.join(tmp, 'logs'))
sc.TEST_FILES_DIR = tmp


class BuiltinSamples(sc.FilterSamplesRegex):
    pass


# Leave out the stock tests the class carries; add one per built-in filter.
for k in list(vars(sc.FilterSamplesRegex)):
    if k.startswith('testSampleRegexs'):
        setattr(BuiltinSamples, k, None)
suite = unittest.TestSuite()
for n in names:
    attr = 'testSampleRegexs' + n.upper()
    setattr(BuiltinSamples, attr, sc.testSampleRegexsFactory(n, base))
    suite.addTest(BuiltinSamples(attr))
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
os.unlink(os.path.join(tmp, 'logs'))
os.rmdir(tmp)
sys.exit(0 if result.wasSuccessful() else 1)
