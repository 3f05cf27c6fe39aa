package ignore

import (
	"net/netip"
	"sync"
	"time"
)

// OwnTTL is how long [Own] trusts the addresses it read: a check later
// than that reads the machine's interfaces again, so an address the
// machine gains while running (DHCP, a moved service address) is
// protected within OwnTTL.
const OwnTTL = 10 * time.Second

// Own is the machine's own addresses for a [Guard]. It is safe for
// concurrent use; the nil *Own holds no address.
type Own struct {
	read func() ([]netip.Addr, error)
	warn func(error)
	ttl  time.Duration

	mu     sync.Mutex
	addrs  []netip.Addr
	at     time.Time
	failed bool
}

// NewOwn reads the machine's addresses now (read; nil means [SelfAddrs])
// and again when a check finds them older than [OwnTTL]. warn, if not
// nil, is told when reading fails (once, until a read succeeds again);
// the addresses read before are kept.
func NewOwn(read func() ([]netip.Addr, error), warn func(error)) *Own {
	if read == nil {
		read = SelfAddrs
	}
	o := &Own{read: read, warn: warn, ttl: OwnTTL}
	o.Addrs()
	return o
}

// OwnOf is a fixed set of own addresses, never read again.
func OwnOf(addrs ...netip.Addr) *Own {
	return &Own{addrs: addrs}
}

// Addrs returns the machine's addresses, read again first when older
// than [OwnTTL].
func (o *Own) Addrs() []netip.Addr {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.read != nil && (o.at.IsZero() || time.Since(o.at) >= o.ttl) {
		o.at = time.Now()
		addrs, err := o.read()
		switch {
		case err != nil && !o.failed && o.warn != nil:
			o.warn(err)
		case err == nil:
			o.addrs = addrs
		}
		o.failed = err != nil
	}
	return o.addrs
}
