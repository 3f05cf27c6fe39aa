package bancount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/pkg/fleet"
)

// fleetConfig is the --fleet configuration of a run; URL "" is single-host.
type fleetConfig struct {
	url, id, passwordFile, caFile string
	timeout                       time.Duration
}

// fleetFlags are the flags of fleet mode (see man/bancount.1, FLEET MODE).
func fleetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "fleet", EnvVars: []string{"BANCOUNT_FLEET"},
			Usage: "share failure windows and bans with the other hosts through Redis at `URL` (redis://, rediss://, redis+sentinel://HOST:PORT,.../MASTER)"},
		&cli.StringFlag{Name: "fleet-id", EnvVars: []string{"BANCOUNT_FLEET_ID"},
			Usage: "this host's `ID` in the fleet, distinct on every host (default: the hostname)"},
		&cli.DurationFlag{Name: "fleet-timeout", Value: 100 * time.Millisecond, EnvVars: []string{"BANCOUNT_FLEET_TIMEOUT"},
			Usage: "bound of every call to Redis; past it the host decides from its local window"},
		&cli.StringFlag{Name: "fleet-password-file", EnvVars: []string{"BANCOUNT_FLEET_PASSWORD_FILE"},
			Usage: "read the Redis password from the first line of `FILE`"},
		&cli.StringFlag{Name: "fleet-ca", EnvVars: []string{"BANCOUNT_FLEET_CA"},
			Usage: "PEM `FILE` of the certificates that verify a rediss:// server (default: the system's roots)"},
	}
}

func loadFleetConfig(c *cli.Context) (fleetConfig, error) {
	fc := fleetConfig{url: c.String("fleet"), id: c.String("fleet-id"), passwordFile: c.String("fleet-password-file"),
		caFile: c.String("fleet-ca"), timeout: c.Duration("fleet-timeout")}
	if fc.url == "" {
		for _, n := range []string{"fleet-id", "fleet-password-file", "fleet-ca"} {
			if c.IsSet(n) {
				return fc, fmt.Errorf("--%s: needs --fleet", n)
			}
		}
		return fc, nil
	}
	if fc.timeout <= 0 {
		return fc, fmt.Errorf("--fleet-timeout: must be positive")
	}
	return fc, nil
}

// fleetStatus is the fleet part of `bancount status`.
type fleetStatus struct {
	URL       string `json:"url"` // password redacted
	ID        string `json:"id"`
	Connected bool   `json:"connected"`
	Outbox    int    `json:"outbox"`  // events waiting for Redis
	Dropped   int64  `json:"dropped"` // events dropped from a full outbox
}

// dialFleet connects to the fleet's Redis (a Redis that does not answer is
// not an error: the fleet starts disconnected and keeps trying).
func (s *server) dialFleet(ctx context.Context) (*fleet.Fleet, error) {
	fc := s.cfg.fleet
	stateFile := ""
	if s.cfg.state != "none" && s.cfg.state != "" {
		stateFile = s.cfg.state + ".fleet"
	}
	f, err := fleet.Dial(ctx, fleet.Config{
		URL: fc.url, ID: fc.id, PasswordFile: fc.passwordFile, CAFile: fc.caFile, Timeout: fc.timeout,
		StateFile: stateFile,
		OnState: func(err error) {
			switch {
			case err == nil:
				warnf(s.stderr, "fleet: connected to %s", fleet.Redact(fc.url))
			case errors.Is(err, fleet.ErrUnavailable):
				warnf(s.stderr, "fleet: %v: deciding from the local window until it answers", err)
			default:
				warnf(s.stderr, "fleet: %v", err)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// seam adapts f to the engine with the jails' own settings.
func (s *server) seam(f *fleet.Fleet) fleet.Seam {
	return fleet.Seam{Fleet: f, Settings: func(jail string) (time.Duration, bool) {
		st := s.cfg.spec(jail).Settings
		return st.BanTime, st.Increment.Enabled
	}}
}

// followFleet applies and emits the other hosts' bans and unbans.
func (s *server) followFleet(ctx context.Context, f *fleet.Fleet) {
	for ev := range f.Subscribe(ctx) {
		s.mu.Lock()
		if s.en.Adopt(ev) {
			s.flushLocked()
		}
		s.mu.Unlock()
	}
}

// announce records this host's settings of the configured jails in the
// fleet and warns about hosts whose settings differ.
func (s *server) announce(ctx context.Context, f *fleet.Fleet) {
	for _, name := range s.cfg.order {
		st := s.cfg.spec(name).Settings
		diff, err := f.Announce(ctx, name, fleet.Window{MaxRetry: st.MaxRetry, FindTime: st.FindTime,
			BanTime: st.BanTime, Increment: st.Increment.Enabled})
		if err != nil {
			return // unreachable: it is said by OnState
		}
		for _, d := range diff {
			warnf(s.stderr, "fleet: jail %s: host %s (here: maxretry=%d findtime=%v): hosts with other settings ban at other counts",
				name, d, st.MaxRetry, st.FindTime)
		}
	}
}

func (s *server) fleetStatus() *fleetStatus {
	if s.fleet == nil {
		return nil
	}
	q, d := s.fleet.Pending()
	return &fleetStatus{URL: fleet.Redact(s.cfg.fleet.url), ID: s.fleet.ID(), Connected: s.fleet.Up(), Outbox: q, Dropped: d}
}
