"""Renders the commands of fail2ban action files with fail2ban's own code.

Used by TestFail2banDifferential. Arguments: the jail's options as a JSON
object, then action specs (NAME or NAME[key=value, ...]). Prints one JSON
object {"SPEC": {"inet4/actionban": cmd, ...}} with the commands fail2ban's
CommandAction would run for a ban of 192.0.2.7 (inet4) and 2001:db8::7
(inet6) in jail sshd.

With the arguments --jails CONFDIR it reads the jail configuration of
CONFDIR (jail.conf, jail.d/, jail.local) with fail2ban's JailsReader, as
fail2ban-client does, and prints {"JAIL": {"ACTNAME": {"inet4/actionban":
cmd, ...}}, "-errors-": [...]}: each enabled jail's action commands with
the configuration's tags substituted and the ban tags (<ip>, ...) left as
tags (used by fwban's TestStockJails).
"""
import json
import sys

from fail2ban.client.actionreader import ActionReader
from fail2ban.helpers import extractOptions
from fail2ban.server.action import CommandAction

BAN = {"inet4": ("192.0.2.7", "7.2.0.192."),
       "inet6": ("2001:db8::7", "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.")}
OPS = ("actionstart", "actionstop", "actioncheck", "actionban", "actionunban", "actionflush")

ALL_OPS = ("actionstart", "actionstop", "actioncheck", "actionrepair",
           "actionban", "actionunban", "actionprolong", "actionflush")


def render_jails(confdir):
    import logging
    from fail2ban.client.jailsreader import JailsReader
    errors = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage())
    logging.getLogger("fail2ban").addHandler(Collect())
    reader = JailsReader(basedir=confdir)
    if not reader.read():
        raise SystemExit("cannot read " + confdir)
    reader.getOptions(ignoreWrong=True)
    actions = {}
    for cmd in reader.convert(allow_no_files=True):
        if cmd[0] == "config-error":
            errors.append(cmd[1])
        elif cmd[0] == "set" and len(cmd) == 4 and cmd[2] == "addaction":
            actions.setdefault(cmd[1], {})[cmd[3]] = CommandAction(None, cmd[3])
        elif cmd[0] == "multi-set" and cmd[2] == "action":
            for k, v in cmd[4]:
                setattr(actions[cmd[1]][cmd[3]], k, v)
        elif cmd[0] == "set" and len(cmd) == 6 and cmd[2] == "action":
            setattr(actions[cmd[1]][cmd[3]], cmd[4], cmd[5])
    out = {"-errors-": errors}
    for jail, acts in actions.items():
        out[jail] = {}
        for actname, action in acts.items():
            res = {}
            for fam in ("inet4", "inet6"):
                for op in ALL_OPS:
                    cmd = action.replaceTag("<%s>" % op, action._properties,
                                            conditional="family=" + fam)
                    if cmd != "<%s>" % op and cmd.strip():
                        res[fam + "/" + op] = cmd.strip()
            out[jail][actname] = res
    json.dump(out, sys.stdout)


if sys.argv[1] == "--jails":
    render_jails(sys.argv[2])
    sys.exit(0)

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
