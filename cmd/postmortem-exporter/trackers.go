package main

import (
	"errors"
	"log/slog"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/github"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/gitlab"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/jira"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/linear"
)

// trackerClients makes the client of each kind of tracker: the vendor
// packages under exporter/trackers.
var trackerClients = map[string]ticketsync.Constructor{
	trackers.KindJira:   jira.New,
	trackers.KindGitHub: github.New,
	trackers.KindGitLab: gitlab.New,
	trackers.KindLinear: linear.New,
}

// newSyncer reads the trackers file the configuration names and returns
// the syncer of its trackers, or nil without one.
func newSyncer(cfg *config.Config, lookup func(string) (string, bool), logger *slog.Logger) (*ticketsync.Syncer, error) {
	if cfg.TrackersFile == "" {
		return nil, nil
	}
	if cfg.DatabaseURL != "" {
		// Not silently ignored: serve on PostgreSQL reads no tracker.
		return nil, errors.New("trackers.file (" + config.EnvPrefix + "TRACKERS_FILE): serve on PostgreSQL reads no tracker: it serves the ticket states `import --trackers.file` stored with the records; give the file to import (docs/trackers.md)")
	}
	return ticketsync.New(ticketsync.Config{
		Path: cfg.TrackersFile, Lookup: lookup, Clients: trackerClients, Logger: logger, Now: time.Now,
	})
}

// lookupIn reads variables from environ.
func lookupIn(environ map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := environ[name]
		return v, ok
	}
}
