# Decides bans for banpipe's differential test (f2bdiff_test.go) with
# fail2ban's own code: its Filter finds each failure and decides its id
# (an <F-ID> differing from the address, else the address), its
# FailManager counts the windows. The test gives streams on stdin:
#
#   #stream MAXRETRY FINDTIME
#   YYYY-mm-dd HH:MM:SS fail [id=FID] from ADDR
#
# and reads one line per new ban: "ban ID IP TIME FAILURES" (TIME is the
# newest event time, in Unix seconds), "end" after each stream. An id
# already banned is not banned again (bans outlast the streams).
import sys

from fail2ban.server.failmanager import FailManagerEmpty
from fail2ban.server.filter import Filter
from fail2ban.server.mytime import MyTime
from fail2ban.server.ticket import FailTicket


class Jail:
    name = "diff"
    database = None


def new_filter(maxretry, findtime):
    f = Filter(Jail(), useDns="no")
    f.addFailRegex(r"^\s*fail(?: id=<F-ID>\S+</F-ID>)? from <HOST>$")
    f.setDatePattern(r"^%Y-%m-%d %H:%M:%S")
    f.setMaxRetry(maxretry)
    f.setFindTime(findtime)
    f.inOperation = False  # dates come from the lines
    f.checkFindTime = False
    return f


f, now, banned = None, 0, set()
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("#stream "):
        if f is not None:
            print("end", flush=True)
        _, maxretry, findtime = line.split()
        f, now, banned = new_filter(int(maxretry), int(findtime)), 0, set()
        continue
    for _, fid, t, fail in f.processLine(line):
        now = max(now, t)
        MyTime.setTime(now)
        if t < now - 60:
            t = now
        # rule 5 of the shared notes: a window whose last failure is
        # before now - findtime is dropped (the live server's purge runs
        # after the failure: last == now - findtime survives)
        f.failManager.cleanup(now - 0.5)
        f.failManager.addFailure(FailTicket(fid, t, data=fail))
        try:
            tk = f.failManager.toBan()
        except FailManagerEmpty:
            continue
        sid = str(tk.getID())
        if sid in banned:
            continue
        banned.add(sid)
        print("ban", sid, tk.getIP(), int(now), tk.getAttempt())
if f is not None:
    print("end", flush=True)
