"""Run fail2ban's own sample test (tests/samplestestcase.py) over all of
fail2ban's installed filters, with banpipe's common.conf in place of
fail2ban's: our common.conf must be a drop-in for every filter that
includes it.

usage: python3 common.py COMMON_CONF [FAIL2BAN_FILTER_D]

Prints one line per sample test ("name ok" / "name FAIL: reason"). Exit 0
when they ran (whatever they found), 2 when fail2ban cannot be imported.
"""
import os
import shutil
import sys
import tempfile
import unittest

common = os.path.abspath(sys.argv[1])
stock = sys.argv[2] if len(sys.argv) > 2 else '/etc/fail2ban/filter.d'
tmp = tempfile.mkdtemp(prefix='banpipe-common-')
shutil.copytree(stock, os.path.join(tmp, 'filter.d'))
shutil.copyfile(common, os.path.join(tmp, 'filter.d', 'common.conf'))
open(os.path.join(tmp, 'fail2ban.conf'), 'w').close()
os.environ['FAIL2BAN_CONFIG_DIR'] = tmp  # read by fail2ban.tests.utils

try:
    from fail2ban.tests import utils
except ImportError as e:
    print("fail2ban not importable: %s" % e, file=sys.stderr)
    sys.exit(2)
utils.initTests(None)
from fail2ban.tests import samplestestcase as sc  # noqa: E402


class Result(unittest.TestResult):
    def addSuccess(self, test):
        print("%s ok" % test._testMethodName)

    def addFailure(self, test, err):
        print("%s FAIL: %s" % (test._testMethodName, str(err[1]).splitlines()[0]))

    def addError(self, test, err):
        print("%s ERROR: %s" % (test._testMethodName, str(err[1]).splitlines()[0]))


suite = unittest.TestLoader().loadTestsFromTestCase(sc.FilterSamplesRegex)
suite.run(Result())
shutil.rmtree(tmp)
