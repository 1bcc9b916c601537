package source

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"
)

// binaryArray writes a one-dimensional array in PostgreSQL's binary
// format: its elements, nil for NULL.
func binaryArray(elems ...[]byte) []byte {
	u32 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint32(b, uint32(int32(v))) }
	out := u32(u32(u32(u32(u32(nil, 1), 1), 1184), len(elems)), 1) // dims, has nulls, timestamptz, length, lower bound
	for _, e := range elems {
		if e == nil {
			out = u32(out, -1)
			continue
		}
		out = append(u32(out, len(e)), e...)
	}
	return out
}

func pgTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixMicro()-pgEpoch))
}

// TestTimestampArray decodes a timestamptz[] with a NULL by hand: the
// microseconds since 2000-01-01 of PostgreSQL, a time before 2000 and one
// with microseconds included; and refuses what is not such an array.
func TestTimestampArray(t *testing.T) {
	a := time.Date(2026, time.May, 20, 14, 2, 0, 123456000, time.UTC)
	b := time.Date(1999, time.December, 31, 23, 0, 0, 0, time.UTC)
	got, err := timestampArray(binaryArray(pgTime(a), nil, pgTime(b)))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{a.UnixMicro(), noTime, b.UnixMicro()}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !microsTime(got[0]).Equal(a) || microsTime(got[0]).Location() != time.UTC || !microsTime(got[1]).IsZero() {
		t.Errorf("times %v %v, want %v in UTC and the zero time", microsTime(got[0]), microsTime(got[1]), a)
	}
	if got, err := timestampArray(binary.BigEndian.AppendUint32(make([]byte, 4, 12), 0)[:12]); err != nil || len(got) != 0 {
		t.Errorf("an empty array gives %v, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"truncated":   binaryArray(pgTime(a), pgTime(b))[:30],
		"short value": binaryArray([]byte{1, 2, 3}),
		"infinity":    binaryArray([]byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		"two dims":    append([]byte{0, 0, 0, 2}, binaryArray()[4:]...),
		"too short":   {0, 0, 0, 1},
	} {
		if _, err := timestampArray(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	codes, err := int4Array(binaryArray([]byte{0, 0, 0, 7}, []byte{0xff, 0xff, 0xff, 0xff}))
	if err != nil || !slices.Equal(codes, []int32{7, -1}) {
		t.Errorf("int4 array = %v, %v; want [7 -1]", codes, err)
	}
}
