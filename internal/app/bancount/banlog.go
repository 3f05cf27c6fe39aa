package bancount

import (
	"fmt"
	"log/syslog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/banpipe/banpipe/internal/safefile"
	"github.com/banpipe/banpipe/pkg/event"
)

// banLog writes fail2ban.log-style lines:
//
//	2026-11-21 10:04:05,123 fail2ban.actions        [PID]: NOTICE  [sshd] Ban 192.0.2.7
//
// for bans ("Ban"), restored bans ("Restore Ban"), extensions ("Increase
// Ban ADDR (COUNT # BANTIME -> UNTIL)"), unbans ("Unban") and ignored
// failures ("fail2ban.filter ... INFO    [sshd] Ignore ADDR by SOURCE"), so
// fail2ban's recidive filter and `tail -f` habits keep working. The jail
// and the id are escaped (see [logSafe]): an id taken from a log cannot
// start a line of its own. The file is opened without following a link.
type banLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
	sys  *syslog.Writer
	pid  int
	buf  []byte
}

func openBanLog(target string) (*banLog, error) {
	l := &banLog{path: target, pid: os.Getpid()}
	if target == "syslog" {
		w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_NOTICE, "bancount")
		if err != nil {
			return nil, fmt.Errorf("--log syslog: %w", err)
		}
		l.sys = w
		return l, nil
	}
	f, err := safefile.OpenFile(target, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("--log: %w", err)
	}
	l.f = f
	return l, nil
}

// reopen reopens the file when forced (SIGHUP) or when the path no longer
// names the open file (logrotate moved or removed it).
func (l *banLog) reopen(force bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	if !force {
		var a, b syscall.Stat_t
		if err := syscall.Fstat(int(l.f.Fd()), &a); err != nil {
			return
		}
		if err := syscall.Stat(l.path, &b); err == nil && a.Ino == b.Ino && a.Dev == b.Dev {
			return
		}
	}
	f, err := safefile.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return
	}
	l.f.Close()
	l.f = f
}

func (l *banLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sys != nil {
		return l.sys.Close()
	}
	return l.f.Close()
}

func (l *banLog) line(t time.Time, logger, level, jail, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.IsZero() {
		t = time.Now()
	}
	t = t.Local()
	b := l.buf[:0]
	if l.sys == nil {
		b = t.AppendFormat(b, "2006-01-02 15:04:05")
		b = fmt.Appendf(b, ",%03d ", t.Nanosecond()/1e6)
	}
	b = fmt.Appendf(b, "%-24s[%d]: %-7s [%s] %s\n", logger, l.pid, level, logSafe(jail), msg)
	l.buf = b
	if l.sys != nil {
		l.sys.Notice(string(b))
		return
	}
	l.f.Write(b)
}

// logSafe escapes what could end or forge a line of the log or a field of
// it: control characters (newline, carriage return, ...), space, DEL and
// the brackets that delimit the jail become \xNN, and a backslash becomes
// \\, so the escaping itself cannot be forged. An address or a prefix
// has none of them and is written as is.
func logSafe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; logEscaped(c) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case logEscaped(c):
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func logEscaped(c byte) bool {
	return c <= ' ' || c == 0x7f || c == '[' || c == ']' || c == '\\'
}

func (l *banLog) event(ev *event.Event) {
	id := logSafe(ev.ID())
	switch {
	case ev.Action == event.ActionUnban:
		l.line(ev.Time, "fail2ban.actions", "NOTICE", ev.Jail, "Unban "+id)
	case ev.Restored:
		l.line(ev.Time, "fail2ban.actions", "NOTICE", ev.Jail, "Restore Ban "+id)
	default:
		l.line(ev.Time, "fail2ban.actions", "NOTICE", ev.Jail, "Ban "+id)
	}
}

func (l *banLog) extend(ev *event.Event) {
	until := "infinite"
	if !ev.Until.IsZero() {
		until = ev.Until.Local().Format("2006-01-02 15:04:05")
	}
	l.line(ev.Time, "fail2ban.actions", "NOTICE", ev.Jail, fmt.Sprintf("Increase Ban %s (%d # %ds -> %s)", logSafe(ev.ID()), ev.Bancount, ev.Bantime, until))
}

func (l *banLog) ignore(t time.Time, jail, id, src string) {
	l.line(t, "fail2ban.filter", "INFO", jail, fmt.Sprintf("Ignore %s by %s", logSafe(id), logSafe(src)))
}
