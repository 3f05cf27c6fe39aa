"""Renders the commands of fail2ban action files with fail2ban's own code.

Used by TestFail2banDifferential. Arguments: the jail's options as a JSON
object, then action specs (NAME or NAME[key=value, ...]). Prints one JSON
object {"SPEC": {"inet4/actionban": cmd, ...}} with the commands fail2ban's
CommandAction would run for a ban of 192.0.2.7 (inet4) and 2001:db8::7
(inet6) in jail sshd.
"""
import json
import sys

from fail2ban.client.actionreader import ActionReader
from fail2ban.helpers import extractOptions
from fail2ban.server.action import CommandAction

BAN = {"inet4": ("192.0.2.7", "7.2.0.192."),
       "inet6": ("2001:db8::7", "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.")}
OPS = ("actionstart", "actionstop", "actioncheck", "actionban", "actionunban", "actionflush")

jail = json.loads(sys.argv[1])
out = {}
for spec in sys.argv[2:]:
    name, args = extractOptions(spec)
    reader = ActionReader(name, "sshd", args, basedir="/etc/fail2ban")
    if not reader.read():
        continue
    try:
        reader.getOptions(dict(jail))
        stream = reader.convert()
    except Exception as e:  # an include-only helper
        out[spec] = {"error": str(e)}
        continue
    action = CommandAction(None, name)
    for cmd in stream:
        if cmd[0] == "multi-set":
            for k, v in cmd[4]:
                setattr(action, k, v)
        elif cmd[0] == "set" and len(cmd) == 6:
            setattr(action, cmd[4], cmd[5])
    res = {}
    for fam, (ip, rev) in BAN.items():
        info = {"ip": ip, "family": fam, "ip-rev": rev, "ip-host": "", "fid": ip,
                "failures": 5, "ipfailures": 5, "ipjailfailures": 5, "bancount": 1,
                "time": 1700000000, "bantime": 600, "restored": 0,
                "matches": "", "ipmatches": "", "ipjailmatches": ""}
        for op in OPS:
            cmd = action.replaceTag("<%s>" % op, action._properties,
                                    conditional="family=" + fam)
            if op in ("actionban", "actionunban"):
                cmd = action.replaceDynamicTags(cmd, info)
            else:
                cmd = action.replaceDynamicTags(cmd, {"family": fam, "time": 1700000000})
            res[fam + "/" + op] = cmd
    out[spec] = res
json.dump(out, sys.stdout)
