package firewall

import (
	"encoding/binary"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// ipsetChunk is how many add messages go to the kernel in one sendmsg: the
// acknowledgements (each echoes its request) must fit the socket's
// receive buffer.
const ipsetChunk = 500

// ipsetAdd is one entry to add.
type ipsetAdd struct {
	owner   int
	set     string
	ip      net.IP
	cidr    uint8 // 0 for a single address
	timeout uint32
}

// ipsetAddMany adds entries (with -exist semantics: a present entry gets
// its new timeout) by writing many netlink messages per system call and
// reading their acknowledgements; vishvananda/netlink sends one message and
// waits for its answer per call. errs[owner] receives each entry's error.
// A socket-level failure is returned for the caller to fall back on.
func ipsetAddMany(adds []ipsetAdd, errs []error) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	dst := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	buf := make([]byte, 1<<16)
	for start := 0; start < len(adds); start += ipsetChunk {
		chunk := adds[start:min(start+ipsetChunk, len(adds))]
		var msg []byte
		for i, a := range chunk {
			msg = append(msg, ipsetAddMessage(a, uint32(start+i+1))...)
		}
		if err := unix.Sendto(fd, msg, 0, dst); err != nil {
			return fmt.Errorf("send %d ipset messages: %w", len(chunk), err)
		}
		for left := len(chunk); left > 0; {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return fmt.Errorf("receive ipset acknowledgements: %w", err)
			}
			msgs, err := syscall.ParseNetlinkMessage(buf[:n])
			if err != nil {
				return fmt.Errorf("parse ipset acknowledgements: %w", err)
			}
			for _, m := range msgs {
				if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
					continue
				}
				i := int(m.Header.Seq) - 1
				if i < start || i >= start+len(chunk) {
					continue
				}
				left--
				if code := -int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
					a := adds[i]
					var e error = syscall.Errno(code)
					if code >= nl.IPSET_ERR_PRIVATE {
						e = ipsetErr(nl.IPSetError(uintptr(code)))
					}
					errs[a.owner] = fmt.Errorf("ipset add %s %s: %w", a.set, ipsetShow(a), e)
				}
			}
		}
	}
	return nil
}

func ipsetShow(a ipsetAdd) string {
	if a.cidr != 0 {
		return fmt.Sprintf("%s/%d", a.ip, a.cidr)
	}
	return a.ip.String()
}

// ipsetAddMessage is the IPSET_CMD_ADD request for a, as `ipset add SET IP
// timeout N -exist` sends it.
func ipsetAddMessage(a ipsetAdd, seq uint32) []byte {
	req := nl.NewNetlinkRequest(nl.IPSET_CMD_ADD|(unix.NFNL_SUBSYS_IPSET<<8), unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	req.Seq = seq
	req.AddData(&nl.Nfgenmsg{NfgenFamily: uint8(unix.AF_NETLINK), Version: nl.NFNETLINK_V0})
	req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_PROTOCOL, nl.Uint8Attr(nl.IPSET_PROTOCOL)))
	req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_SETNAME, nl.ZeroTerminated(a.set)))
	data := nl.NewRtAttr(nl.IPSET_ATTR_DATA|int(nl.NLA_F_NESTED), nil)
	data.AddChild(&nl.Uint32Attribute{Type: nl.IPSET_ATTR_TIMEOUT | nl.NLA_F_NET_BYTEORDER, Value: a.timeout})
	typ := int(nl.NLA_F_NET_BYTEORDER)
	ip := a.ip
	if ip4 := ip.To4(); ip4 != nil {
		typ |= nl.IPSET_ATTR_IPADDR_IPV4
		ip = ip4
	} else {
		typ |= nl.IPSET_ATTR_IPADDR_IPV6
	}
	data.AddChild(nl.NewRtAttr(nl.IPSET_ATTR_IP|int(nl.NLA_F_NESTED), nl.NewRtAttr(typ, ip).Serialize()))
	if a.cidr != 0 {
		data.AddChild(nl.NewRtAttr(nl.IPSET_ATTR_CIDR, nl.Uint8Attr(a.cidr)))
	}
	data.AddChild(&nl.Uint32Attribute{Type: nl.IPSET_ATTR_LINENO | nl.NLA_F_NET_BYTEORDER, Value: 0})
	req.AddData(data)
	return req.Serialize()
}

// ipsetErr names the type-specific error of hash sets that netlink prints
// as a bare number.
func ipsetErr(err error) error {
	if isIPSetErr(err, nl.IPSET_ERR_TYPE_SPECIFIC) {
		return fmt.Errorf("set is full (maxelem reached): %w", err)
	}
	return err
}
