package incidentio

import (
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/pullfake"
)

const token = "inc-api-key-s3cr3t-value"

// unauthorized is what incident.io answers a bad API key with.
var unauthorized = pullfake.IncidentIOUnauthorized

// newFake is the fake incident.io serving the fixtures in testdata.
func newFake(t *testing.T) *pullfake.IncidentIO {
	return pullfake.NewIncidentIO(t, "testdata", "testdata/incidentio.schema.json", token)
}
