package source

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Arrays in PostgreSQL's binary format, decoded by hand: the incidents
// of the windows and periods come as arrays of a few hundred thousand
// elements, which pgx decodes one element at a time through reflection
// into values three times the size.

// arrayLength returns the number of elements of a one-dimensional array.
func arrayLength(src []byte) (int, error) {
	if len(src) < 12 {
		return 0, errors.New("array: too short")
	}
	switch dims := int32(binary.BigEndian.Uint32(src)); {
	case dims == 0:
		return 0, nil
	case dims != 1 || len(src) < 20:
		return 0, fmt.Errorf("array: %d dimensions, want 1", dims)
	}
	return int(int32(binary.BigEndian.Uint32(src[12:]))), nil
}

// arrayElements calls each with the bytes of every element of a
// one-dimensional array, nil for NULL.
func arrayElements(src []byte, each func(elem []byte) error) error {
	n, err := arrayLength(src)
	if n == 0 || err != nil {
		return err
	}
	rest := src[20:]
	for range n {
		if len(rest) < 4 {
			return errors.New("array: truncated")
		}
		size := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if size < 0 {
			if err := each(nil); err != nil {
				return err
			}
			continue
		}
		if len(rest) < int(size) {
			return errors.New("array: truncated")
		}
		if err := each(rest[:size]); err != nil {
			return err
		}
		rest = rest[size:]
	}
	return nil
}

// noTime is a NULL timestamp in the arrays of timestampArray.
const noTime = math.MinInt64

// pgEpoch is PostgreSQL's epoch, 2000-01-01 UTC, in microseconds since
// 1970-01-01.
const pgEpoch = 946684800 * 1_000_000

// timestampArray decodes a timestamptz[] in binary format into
// microseconds since 1970-01-01 UTC, noTime for NULL.
func timestampArray(src []byte) ([]int64, error) {
	n, err := arrayLength(src)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, max(n, 0))
	err = arrayElements(src, func(elem []byte) error {
		switch {
		case elem == nil:
			out = append(out, noTime)
		case len(elem) != 8:
			return fmt.Errorf("timestamptz of %d bytes", len(elem))
		default:
			v := int64(binary.BigEndian.Uint64(elem))
			if v == math.MaxInt64 || v == math.MinInt64 {
				return errors.New("an infinite timestamptz")
			}
			out = append(out, v+pgEpoch)
		}
		return nil
	})
	return out, err
}

// int4Array decodes an int4[] without NULLs in binary format.
func int4Array(src []byte) ([]int32, error) {
	n, err := arrayLength(src)
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, max(n, 0))
	err = arrayElements(src, func(elem []byte) error {
		if len(elem) != 4 {
			return fmt.Errorf("int4 of %d bytes", len(elem))
		}
		out = append(out, int32(binary.BigEndian.Uint32(elem)))
		return nil
	})
	return out, err
}

// microsTime is the time of microseconds since 1970-01-01 in UTC, the
// zero time for noTime.
func microsTime(us int64) time.Time {
	if us == noTime {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
