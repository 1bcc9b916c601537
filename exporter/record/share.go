package record

// ShareStrings replaces each value of the record that comes from a small
// set shared by many records (team, severity, taxonomy values, statuses,
// services, owners, moderators and other reviewers) by the string canonical returns for it. A reader that
// returns one copy per value holds each such value once, however many
// records name it, instead of once per record: a folder of 100,000
// records names a few hundred teams and a few thousand owners.
func (r *Record) ShareStrings(canonical func(string) string) {
	for _, s := range []*string{&r.Severity, &r.Team, &r.Origin, &r.Resolution, &r.Detection, &r.Status, &r.Moderator, &r.BarRaiser} {
		*s = canonical(*s)
	}
	if sr := r.SecurityReview; sr != nil {
		sr.By, sr.Outcome = canonical(sr.By), canonical(sr.Outcome)
	}
	for i := range r.Services {
		r.Services[i] = canonical(r.Services[i])
	}
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		for _, s := range []*string{&a.Owner, &a.Team, &a.Status, &a.ExceptionApprover} {
			*s = canonical(*s)
		}
	}
}
