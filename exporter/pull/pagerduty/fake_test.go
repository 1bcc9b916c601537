package pagerduty

import (
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/pullfake"
)

const token = "pd-rest-key-s3cr3t-value"

// unauthorized is what PagerDuty answers a bad key with.
var unauthorized = pullfake.PagerDutyUnauthorized

// newFake is the fake PagerDuty serving the fixtures in testdata.
func newFake(t *testing.T) *pullfake.PagerDuty {
	return pullfake.NewPagerDuty(t, "testdata", "testdata/pagerduty.schema.json", token)
}
