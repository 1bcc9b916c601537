package forumorg_test

import "testing"

func checkPanels(t *testing.T, s servedOrganisation) {}
