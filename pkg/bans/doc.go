// Package bans is bancount's decision engine: fail2ban's failure windows,
// bans, unbans and ban time increment, as pure logic with an injected clock
// (see [Config]). It reads failure events and emits ban and unban events
// (package event), and reports every change of its state to a [Journal] so
// that the state can be rebuilt with [Engine.Apply] (package store keeps it
// on disk).
//
// # Rules (fail2ban 1.0.2's failmanager, banmanager and observer)
//
// "now" is the wall clock ([Config.Live]) or the newest event time seen.
// For each failure at time T of id (the address, IPv4-mapped IPv6 unmapped,
// else the host text) in a jail:
//
//   - Bans whose end is before now are lifted first ("reason":"expired"),
//     in order of end, ties in ban order.
//   - Loopback and unspecified addresses, and ids on the jail's ignore list
//     ([Ignorer]), are counted as ignored and dropped.
//   - With the live clock a failure older than findtime is stale (counted,
//     dropped). An event more than 60 s (whole seconds) from now counts as
//     happening now.
//   - A window {first F, last L, retry r, failures f} is dropped once
//     L < now - findtime. A new window is F = L = T, r = f = 1. Otherwise, if
//     T > L: when F < T - findtime, r = round_half_even(r / (T - F) *
//     findtime) and F = T - findtime; L = T. Then r and f grow by one. The
//     window is a rate estimate: with maxretry 3, failures at 0, 300 and 601
//     ban; with maxretry 5 and findtime 600, one every 170 s bans at the
//     fifth, one every 180 s never.
//   - With bantime.increment, a known offender (a history row of id in this
//     jail older than T) weighs more: r grows by k - 1 more, k =
//     min(2^min(c, 20) / 2 + 1, maxretry) for c past bans, and f by one.
//   - r >= maxretry makes a ban candidate, with last failure L and base
//     ban time B. If L + B < now it is dropped. If id is banned in the
//     jail and L + B is after the running ban's end, the ban is extended to
//     L + B (permanent when B is): banpipe emits this as a ban event of the
//     running ban with its new "until" (fail2ban does it silently, and
//     kernel-side timeouts would end the ban early). Otherwise a new ban
//     starts at L with count 1 and B; with the increment, B > 0 and a
//     history row (overalljails: counts summed over jails) of c bans, the
//     count is c + 1 and the ban time B * factor * multipliers[min(c,
//     len-1)], or the formula (default max(B, B * 2^min(c, 20) * factor)),
//     capped by maxtime, plus random() * rndtime; the first ban is never
//     scaled. The ban time is truncated to whole seconds, and the ban ends
//     at the "until" it is emitted with (fail2ban keeps a shortened ban to
//     its base end: a bug not copied).
//   - History rows (count, time of ban, ban time) are purged hourly, at
//     log times first + 3600k, when older than a day and than three times
//     their ban time (permanent bans are kept).
//
// # Re-reading the same log
//
// Each jail remembers its newest failure time W and the (id, line) pairs
// seen at W. [Engine.Start] freezes that watermark: failures older than the
// earlier runs' W, or at W with a pair already seen, count as duplicates
// and change nothing. A cron job re-scanning a growing log with the same
// state therefore counts only the new lines. (A failure appended to a log
// with a time older than the previous run's newest one is taken as already
// counted.)
//
// # Memory
//
// At most [Config.MaxTracked] windows are kept over all jails; the one
// whose last failure is the oldest is evicted first (windows spent in a
// ban first, and without counting them as evictions). Windows are keyed by
// address without allocation on the hot path.
package bans
