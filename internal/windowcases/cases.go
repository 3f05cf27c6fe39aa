// Package windowcases is one table of fail2ban's window rules (ticket
// counting, findtime as a rate estimate, rescaling rounded half to even,
// known-offender weights, the silent extension of a running ban), as
// measured in fail2ban 1.0.2's server. The same table runs through both ban
// engines: pkg/bans (one host) and pkg/fleet's Redis script (the fleet), so
// that the two cannot drift apart from fail2ban or from each other.
package windowcases

// Case is a sequence of failures of one id in one jail, in log order, and
// fail2ban's decisions on it. Times are seconds after an arbitrary base.
type Case struct {
	Name      string
	MaxRetry  int
	FindTime  int64 // seconds
	BanTime   int64 // seconds; -1 permanent
	Increment bool  // bantime.increment (default multipliers: factor 1, 2^count)
	At        []int64
	// Bans lists the failures (indexes into At) at which fail2ban decides a
	// new ban; Extends those at which it extends the running ban (silently in
	// fail2ban, as a ban event with the new end in banpipe). Every other
	// failure decides nothing.
	Bans, Extends []int
	// Differs, when set, says why an engine does not follow fail2ban on
	// this case yet ("bans: ...", "fleet: ..."); the case is then reported
	// and skipped for that engine.
	Differs map[string]string
}

// every returns n failure times, step seconds apart from 0.
func every(step int64, n int) []int64 {
	at := make([]int64, n)
	for i := range at {
		at[i] = int64(i) * step
	}
	return at
}

// Cases is the table.
var Cases = []Case{
	{Name: "three quick failures ban at the third", MaxRetry: 3, FindTime: 600, BanTime: 600,
		At: []int64{0, 1, 2, 3}, Bans: []int{2}},
	{Name: "two failures stay below maxretry 3", MaxRetry: 3, FindTime: 600, BanTime: 600,
		At: []int64{0, 10}},
	{Name: "maxretry 1 bans at once", MaxRetry: 1, FindTime: 600, BanTime: 600,
		At: []int64{5}, Bans: []int{0}},
	// findtime is a rate estimate, not a sliding window: 601 - 0 > 600, yet
	// the rescaled count round(2/601*600) = 2 plus this failure reaches 3
	{Name: "0/300/601 bans with maxretry 3", MaxRetry: 3, FindTime: 600, BanTime: 600,
		At: []int64{0, 300, 601}, Bans: []int{2}},
	{Name: "one failure every 170 s bans at the fifth", MaxRetry: 5, FindTime: 600, BanTime: 600,
		At: every(170, 8), Bans: []int{4}},
	{Name: "one failure every 180 s never bans", MaxRetry: 5, FindTime: 600, BanTime: 600,
		At: every(180, 30)},
	// the ticket survives while last == now - findtime
	{Name: "findtime edge: last failure exactly findtime ago is kept", MaxRetry: 2, FindTime: 600, BanTime: 600,
		At: []int64{0, 600}, Bans: []int{1}},
	{Name: "findtime edge: one second later the ticket is dropped", MaxRetry: 2, FindTime: 600, BanTime: 600,
		At: []int64{0, 601, 1202}},
	// six failures by 500, then at 800: round(6/800*600) = round(4.5) = 4
	// (half to even; half up would give 5 and ban one failure earlier)
	{Name: "rescale rounds half to even", MaxRetry: 7, FindTime: 600, BanTime: 600,
		At: []int64{0, 0, 0, 0, 0, 500, 800, 800, 800}, Bans: []int{8}},
	// round(3/700*600) = round(2.571) = 3: rounding up keeps a failure
	{Name: "rescale rounds up above half", MaxRetry: 5, FindTime: 600, BanTime: 600,
		At: []int64{0, 100, 200, 700, 701}, Bans: []int{4}},
	// same-second failures never rescale (t > last is false)
	{Name: "failures in the same second count one each", MaxRetry: 4, FindTime: 1, BanTime: 600,
		At: []int64{50, 50, 50, 50}, Bans: []int{3}},
	// a failure older than the ticket's last one (within 60 s of now) counts
	// without rescaling; the ban starts at the ticket's last failure
	{Name: "a late failure counts without rescaling", MaxRetry: 3, FindTime: 600, BanTime: 600,
		At: []int64{0, 100, 50}, Bans: []int{2}},
	{Name: "a new ticket after a ban: banned again after its end", MaxRetry: 2, FindTime: 600, BanTime: 60,
		At: []int64{0, 1, 100, 101}, Bans: []int{1, 3}},
	// rule 9: a candidate of an id already banned whose last + bantime ends
	// later extends the running ban; no new ban
	{Name: "a candidate during the ban extends it", MaxRetry: 2, FindTime: 600, BanTime: 600,
		At: []int64{0, 1, 30, 31}, Bans: []int{1}, Extends: []int{3}},
	{Name: "a permanent ban is not extended", MaxRetry: 2, FindTime: 600, BanTime: -1,
		At: []int64{0, 1, 30, 31}, Bans: []int{1}},
	// bantime.increment: a known offender's failure weighs
	// min(2^count/2 + 1, maxretry): 2 after one ban, 3 after two
	{Name: "known offender: weights 2 then 3", MaxRetry: 3, FindTime: 600, BanTime: 60, Increment: true,
		At: []int64{0, 1, 2, 100, 101, 400}, Bans: []int{2, 4, 5}},
	{Name: "known offender: weight capped at maxretry 5", MaxRetry: 5, FindTime: 600, BanTime: 60, Increment: true,
		At: []int64{0, 1, 2, 3, 4, 100, 101, 102, 1000, 1001}, Bans: []int{4, 7, 9}},
	{Name: "without increment a past ban weighs nothing", MaxRetry: 3, FindTime: 600, BanTime: 60,
		At: []int64{0, 1, 2, 100, 101, 102}, Bans: []int{2, 5}},
}
