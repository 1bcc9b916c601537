package record

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// yamlTimestamp is YAML 1.1's timestamp with a time of day
// (https://yaml.org/type/timestamp.html), as YAML libraries read it: a
// 'T', 't' or blanks between date and time, optional fraction, and an
// optional zone that blanks may precede. Zulu may also be written 'z', as
// RFC 3339 allows. RFC 3339 timestamps are the strict subset of it.
var yamlTimestamp = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)` +
	`([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?` +
	`(?:[ \t]*([Zz]|[-+][0-9]{1,2}(?::[0-9]{2})?))?$`)

// Submatch indexes of yamlTimestamp.
const (
	tsYear = iota + 1
	tsMonth
	tsDay
	tsHour
	tsMinute
	tsSecond
	tsFraction
	tsZone
)

// Errors of parseTimestamp that timestampError explains in its own words.
var (
	errNoZone       = errors.New("has no time zone")
	errNotTimestamp = errors.New("not a timestamp")
)

// parseTimestamp reads a timestamp as YAML writes it, with a time zone:
// RFC 3339 (2026-11-19T13:53:00Z, 2026-11-19T13:53:00.5+01:00) and YAML's
// relaxed forms (2026-11-19 13:53:00Z, 2026-11-19 13:53:00 +01:00,
// 2026-11-19t13:53:00z, 2026-1-9 8:05:00 -5). The result is in UTC. A
// timestamp without a zone is an error: its instant is unknown.
func parseTimestamp(s string) (time.Time, error) {
	m := yamlTimestamp.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, errNotTimestamp
	}
	if m[tsZone] == "" {
		return time.Time{}, errNoZone
	}
	num := func(i int) int {
		n, _ := strconv.Atoi(m[i]) // the pattern admits only digits
		return n
	}
	year, month, day, hour, minute, second := num(tsYear), num(tsMonth), num(tsDay), num(tsHour), num(tsMinute), num(tsSecond)
	switch {
	case month < 1 || month > 12:
		return time.Time{}, fmt.Errorf("month %d out of range", month)
	case day < 1 || day > daysIn(year, time.Month(month)):
		return time.Time{}, fmt.Errorf("day %d out of range for %d-%02d", day, year, month)
	case hour > 23:
		return time.Time{}, fmt.Errorf("hour %d out of range", hour)
	case minute > 59:
		return time.Time{}, fmt.Errorf("minute %d out of range", minute)
	case second > 59:
		return time.Time{}, fmt.Errorf("second %d out of range", second)
	}
	frac := m[tsFraction]
	if len(frac) > 9 {
		frac = frac[:9] // finer than a nanosecond is dropped
	}
	nanos := 0
	if frac != "" {
		nanos, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	offset, err := zoneOffset(m[tsZone])
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.FixedZone("", offset))
	return t.UTC(), nil
}

// zoneOffset turns Z or ±hh[:mm] into seconds east of UTC.
func zoneOffset(zone string) (int, error) {
	if zone == "Z" || zone == "z" {
		return 0, nil
	}
	hh, mm, _ := strings.Cut(zone[1:], ":")
	hours, _ := strconv.Atoi(hh)
	minutes, _ := strconv.Atoi(mm)
	if hours > 23 || minutes > 59 {
		return 0, fmt.Errorf("time zone %s out of range", zone)
	}
	offset := hours*3600 + minutes*60
	if zone[0] == '-' {
		offset = -offset
	}
	return offset, nil
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// timestampHint says how to write a timestamp, for error messages.
const timestampHint = "write it like 2026-05-20T14:02:00Z, 2026-05-20 14:02:00Z or 2026-05-20 16:02:00 +02:00"

// timestampError explains why s is not a timestamp a record accepts.
func timestampError(s string, err error) string {
	if _, dateErr := time.Parse(time.DateOnly, strings.TrimSpace(s)); dateErr == nil {
		return fmt.Sprintf("%q is a date without a time of day: %s", s, timestampHint)
	}
	switch {
	case errors.Is(err, errNoZone):
		return fmt.Sprintf("%q has no time zone, so its instant is unknown: add Z for UTC or the offset it was written in, e.g. %s+02:00 or %sZ",
			s, strings.TrimSpace(s), strings.TrimSpace(s))
	case errors.Is(err, errNotTimestamp):
		return fmt.Sprintf("%q is not a timestamp: %s", s, timestampHint)
	}
	return fmt.Sprintf("%q is not a timestamp (%v): %s", s, err, timestampHint)
}
