package firewall

// PartialError is what a backend returns for a ban that is in place while
// some of its other actions failed (a mail, a report to an abuse
// service): fail2ban logs such an error and keeps the ban. The result is
// "applied":true with Err, which names the failed actions, as its error.
type PartialError struct {
	Err error
}

func (e *PartialError) Error() string { return e.Err.Error() }

// Unwrap returns the actions' errors.
func (e *PartialError) Unwrap() error { return e.Err }
