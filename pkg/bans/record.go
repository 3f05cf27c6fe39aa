package bans

// Kinds of [Record].
const (
	RecTicket  = 't' // a failure window was created or updated
	RecSeen    = 's' // a failure was seen but changed no window (ignored, stale, ...)
	RecDrop    = 'd' // a failure window was dropped (evicted, manual unban)
	RecBan     = 'b' // a ban was made or extended
	RecUnban   = 'u' // a ban ended
	RecHistory = 'h' // a history row (snapshots only; bans imply rows in journals)
	RecMark    = 'w' // a jail's dedupe watermark (snapshots only)
	RecHeader  = 'H' // the engine's clock state (snapshots only)
)

// Record is one change of the engine's state. The engine reports every
// change to its [Journal]; replaying the records in order with
// [Engine.Apply] rebuilds the state. Times are Unix nanoseconds unless said
// otherwise.
type Record struct {
	Kind byte
	Jail string
	ID   string

	// Seen is the original time of the failure that caused the record and
	// Lineno its line; they feed the dedupe watermark (0: none).
	Seen   int64
	Lineno int64

	// Ticket: First, Last, Retry, Fails.
	First, Last  int64
	Retry, Fails int64

	// Ban: IP (the address or prefix text, empty for a host id), Start, End
	// (0 for permanent), Bantime (seconds, -1 permanent), Count, Fails,
	// Extend (an extension of a running ban, which writes no history).
	IP      string
	Start   int64
	End     int64
	Bantime int64
	Count   int64
	Extend  bool

	// History: Count, Time (Unix seconds), Bantime.
	Time int64

	// Mark: Seen is the watermark and Keys the ids and lines seen at it.
	Keys []MarkKey

	// Header: Now, First (purge anchor), Next (next purge), Seq.
	Now, Next, Seq int64

	// Reason of an unban ("expired", "manual").
	Reason string
}

// MarkKey is one failure seen at a jail's watermark time.
type MarkKey struct {
	ID     string
	Lineno int64
}

// Journal receives the engine's state changes.
type Journal interface {
	Append(r *Record)
}
