package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Roster is who belongs to which team (--quality.roster-file): the
// owners of action items must be its people, and a bar raiser comes from
// outside the incident's team. Without one the roster rules find nothing.
type Roster struct {
	// teamsOf maps a person to the teams they belong to.
	teamsOf map[string][]string
	teams   map[string]bool
}

// IsPerson says name is a person of the roster.
func (r *Roster) IsPerson(name string) bool { return len(r.teamsOf[name]) > 0 }

// IsTeam says name is a team of the roster.
func (r *Roster) IsTeam(name string) bool { return r.teams[name] }

// InTeam says person belongs to team.
func (r *Roster) InTeam(person, team string) bool { return slices.Contains(r.teamsOf[person], team) }

// LoadRoster reads a roster file (see ParseRoster); an empty path gives
// none, which turns the roster rules off.
func LoadRoster(path string) (*Roster, error) {
	return loadFile(path, "roster", func() *Roster { return nil }, ParseRoster)
}

// ParseRoster reads a roster from YAML: a mapping from team name to the
// list of its people. A team without people, a blank name and a name
// listed twice in a team are errors, all reported at once.
func ParseRoster(data []byte) (*Roster, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); errors.Is(err, io.EOF) {
		return nil, errors.New("empty: give each team and the list of its people (team: [name, ...])")
	} else if err != nil {
		return nil, err
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping from team to the list of its people", m.Line)
	}
	r := &Roster{teamsOf: map[string][]string{}, teams: map[string]bool{}}
	var errs []error
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, people := m.Content[i], m.Content[i+1]
		team := NormalName(strings.TrimSpace(key.Value))
		if team == "" || r.teams[team] {
			errs = append(errs, fmt.Errorf("line %d: team %q is blank or given twice", key.Line, key.Value))
			continue
		}
		r.teams[team] = true
		if people.Kind != yaml.SequenceNode || len(people.Content) == 0 {
			errs = append(errs, fmt.Errorf("line %d: team %s: want the list of its people", people.Line, team))
			continue
		}
		for _, p := range people.Content {
			name := NormalName(strings.TrimSpace(p.Value))
			switch {
			case p.Kind != yaml.ScalarNode || name == "":
				errs = append(errs, fmt.Errorf("line %d: team %s: a person must be a name", p.Line, team))
			case slices.Contains(r.teamsOf[name], team):
				errs = append(errs, fmt.Errorf("line %d: team %s: %s is listed twice", p.Line, team, name))
			default:
				r.teamsOf[name] = append(r.teamsOf[name], team)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}
