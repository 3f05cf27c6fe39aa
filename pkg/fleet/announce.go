package fleet

import (
	"context"
	"fmt"
	"slices"
)

// String formats w as the settings a host announces: "maxretry=5
// findtime=10m0s bantime=1h0m0s increment=false".
func (w Window) String() string {
	bt := w.BanTime.String()
	if w.BanTime < 0 {
		bt = "permanent"
	}
	return fmt.Sprintf("maxretry=%d findtime=%v bantime=%s increment=%v", w.MaxRetry, w.FindTime, bt, w.Increment)
}

// Announce records this host's settings of jail in the fleet (key
// cfg:JAIL, a hash of host id to settings) and returns one line per other
// host whose settings differ, "web2: maxretry=3 ...", sorted, so that
// bancount can warn: hosts that count one window with different maxretry or
// findtime ban at different counts.
func (f *Fleet) Announce(ctx context.Context, jail string, w Window) ([]string, error) {
	if err := checkJail(jail, "-"); err != nil {
		return nil, err
	}
	key := f.keys.prefix + "cfg:" + jail
	mine := w.String()
	var all map[string]string
	err := f.do(ctx, func(ctx context.Context) error {
		pipe := f.client.TxPipeline()
		pipe.HSet(ctx, key, f.cfg.ID, mine)
		get := pipe.HGetAll(ctx, key)
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		all = get.Val()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: announce %s: %w", jail, err)
	}
	var diff []string
	for host, s := range all {
		if host != f.cfg.ID && s != mine {
			diff = append(diff, host+": "+s)
		}
	}
	slices.Sort(diff)
	return diff, nil
}
