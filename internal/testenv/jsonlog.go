package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DuplicateJSONKeys returns the keys that one JSON document (a log line of
// --log.format=json) gives more than once in the same object. Decoding
// into a map would keep only the last of them, so it reads token by token.
func DuplicateJSONKeys(doc string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	var dup []string
	if err := walkJSON(dec, &dup); err != nil {
		return nil, fmt.Errorf("%s: %w", doc, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more than one JSON value", doc)
	}
	return dup, nil
}

// walkJSON reads one value, appending the keys repeated in its objects.
func walkJSON(dec *json.Decoder, dup *[]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			k := key.(string) // object keys are always strings
			if seen[k] {
				*dup = append(*dup, k)
			}
			seen[k] = true
			if err := walkJSON(dec, dup); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for dec.More() {
			if err := walkJSON(dec, dup); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}
