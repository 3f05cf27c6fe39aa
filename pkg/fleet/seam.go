package fleet

import (
	"context"
	"time"
)

// Seam adapts a [Fleet] to bancount's engine seam (pkg/bans.Shared), whose
// Failure takes the weight, maxretry and findtime and answers whether to ban.
// Publish and Subscribe are the Fleet's.
type Seam struct {
	*Fleet
	// Settings returns what the call does not carry for jail: its base
	// bantime (negative: permanent) and whether bantime.increment is on (then
	// a known offender's failures weigh by its fleet-wide ban count). Nil:
	// a 10-minute bantime, no increment.
	Settings func(jail string) (bantime time.Duration, increment bool)
}

// Failure counts a failure in the fleet-wide window and reports whether the
// caller should ban now: a new ban, or the extension of a running one
// (fail2ban's candidate for a banned id), decided once fleet-wide.
func (s Seam) Failure(ctx context.Context, jail, id string, t time.Time, weight, maxretry int, findtime time.Duration) (bool, int, error) {
	w := Window{MaxRetry: maxretry, FindTime: findtime, BanTime: 10 * time.Minute, Weight: weight}
	if s.Settings != nil {
		w.BanTime, w.Increment = s.Settings(jail)
	}
	d, err := s.Fleet.Failure(ctx, jail, id, t, w)
	if err != nil {
		return false, 0, err
	}
	return d.Ban || d.Extend, d.Failures, nil
}
