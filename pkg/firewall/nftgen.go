package firewall

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// nftGen reads the nf_tables generation of the network namespace: a
// counter the kernel moves at every committed nf_tables transaction (any
// table, any family, any program). iptables-nft's rules are nf_tables
// rules, so an unchanged generation proves that no rule changed.
type nftGen struct {
	c *netlink.Conn
}

func dialNftGen() (*nftGen, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return nil, err
	}
	return &nftGen{c: c}, nil
}

func (g *nftGen) read() (uint32, error) {
	req := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETGEN),
			Flags: netlink.Request,
		},
		// struct nfgenmsg: family, version, resource id
		Data: []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	}
	// A kernel that does not answer must not hold every ban: past the
	// deadline the read fails and the caller lists the tables instead.
	if err := g.c.SetDeadline(time.Now().Add(genDeadline)); err != nil {
		return 0, fmt.Errorf("nf_tables generation: %w", err)
	}
	msgs, err := g.c.Execute(req)
	if err != nil {
		return 0, fmt.Errorf("nf_tables generation: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type != netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_NEWGEN) || len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return 0, fmt.Errorf("nf_tables generation: %w", err)
		}
		ad.ByteOrder = binary.BigEndian
		for ad.Next() {
			if ad.Type() == unix.NFTA_GEN_ID {
				return ad.Uint32(), nil
			}
		}
		if err := ad.Err(); err != nil {
			return 0, fmt.Errorf("nf_tables generation: %w", err)
		}
	}
	return 0, errors.New("nf_tables generation: no answer")
}

func (g *nftGen) close() error { return g.c.Close() }

// genDeadline bounds one generation read (it normally takes microseconds).
const genDeadline = 2 * time.Second
