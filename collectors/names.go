package collectors

// Metric names. The dashboards and rules refer to these constants, so a
// rename breaks their build instead of silently emptying a panel.
const (
	MetricIncidents              = "postmortem_incidents"
	MetricSeverityShare          = "postmortem_severity_share_ratio"
	MetricIncidentsOpen          = "postmortem_incidents_open"
	MetricIncidentsByDetection   = "postmortem_incidents_by_detection"
	MetricIncidentsByOrigin      = "postmortem_incidents_by_origin"
	MetricIncidentsByResolution  = "postmortem_incidents_by_resolution"
	MetricIncidentsByService     = "postmortem_incidents_by_service"
	MetricRepeatIncidents        = "postmortem_repeat_incidents"
	MetricTimeToDetect           = "postmortem_time_to_detect_seconds"
	MetricTimeToMitigate         = "postmortem_time_to_mitigate_seconds"
	MetricTimeToRecover          = "postmortem_time_to_recover_seconds"
	MetricMTTD                   = "postmortem_mttd_seconds"
	MetricMTTM                   = "postmortem_mttm_seconds"
	MetricMTTR                   = "postmortem_mttr_seconds"
	MetricImpactCustomers        = "postmortem_impact_customers_affected"
	MetricImpactFailedRequests   = "postmortem_impact_failed_requests"
	MetricIncidentsDataLoss      = "postmortem_incidents_data_loss"
	MetricSecurityIncidents      = "postmortem_security_incidents"
	MetricActionItems            = "postmortem_action_items"
	MetricActionItemsOverdue     = "postmortem_action_items_overdue"
	MetricActionItemsUnowned     = "postmortem_action_items_unowned"
	MetricActionItemsExceptions  = "postmortem_action_items_exceptions"
	MetricActionItemOverdue      = "postmortem_action_item_overdue_seconds"
	MetricActionItemOverdueDrop  = "postmortem_action_item_overdue_dropped"
	MetricActionItemOverdueInfo  = "postmortem_action_item_overdue_info"
	MetricActionItemCompletion   = "postmortem_action_item_completion_seconds"
	MetricActionItemsOnTime      = "postmortem_action_items_completed_on_time"
	MetricActionItemsOnTimeRatio = "postmortem_action_items_on_time_ratio"
	MetricReviewsPending         = "postmortem_reviews_pending"
	MetricReviewsPendingAge      = "postmortem_reviews_pending_oldest_age_seconds"
	MetricRecordsValid           = "postmortem_records_valid"
	MetricRecordsInvalid         = "postmortem_records_invalid"

	// The quality bar (collectors/quality.go).
	MetricQualityFindings         = "postmortem_quality_findings"
	MetricLearnings               = "postmortem_learnings"
	MetricPublicationDelay        = "postmortem_publication_delay_seconds"
	MetricRepeatIncidentsAfterFix = "postmortem_repeat_incidents_after_fix"
	MetricRepeatIncidentInfo      = "postmortem_repeat_incident_info"
	MetricRepeatIncidentsDropped  = "postmortem_repeat_incident_info_dropped"

	MetricRefreshDuration    = "postmortem_exporter_refresh_duration_seconds"
	MetricLastRefreshSuccess = "postmortem_exporter_last_refresh_success_timestamp_seconds"
	MetricSourceUp           = "postmortem_exporter_source_up"
	MetricRefreshErrors      = "postmortem_exporter_refresh_errors_total"
	MetricSnapshotTimestamp  = "postmortem_exporter_snapshot_timestamp_seconds"
	MetricCollectorSuccess   = "postmortem_exporter_collector_success"
	MetricCollectorDuration  = "postmortem_exporter_collector_duration_seconds"
	MetricBuildInfo          = "postmortem_exporter_build_info"

	// Reloads of the taxonomy file on SIGHUP, named like Prometheus's own
	// prometheus_config_last_reload_successful.
	MetricConfigReloadSuccess = "postmortem_exporter_config_last_reload_successful"
	MetricConfigReloadErrors  = "postmortem_exporter_config_reload_errors_total"
)

// Label names.
const (
	LabelWindow     = "window"
	LabelSeverity   = "severity"
	LabelTeam       = "team"
	LabelDetection  = "detection"
	LabelOrigin     = "origin"
	LabelResolution = "resolution"
	LabelService    = "service"
	LabelStatus     = "status"
	LabelID         = "id"
	LabelIncident   = "incident"
	LabelOwner      = "owner"
	LabelSource     = "source"
	LabelReason     = "reason"
	LabelCollector  = "collector"
	LabelDue        = "due"
	LabelTicketURL  = "ticket_url"
	LabelRecordURL  = "postmortem_url"
	LabelRule       = "rule"
	LabelRepeats    = "repeats"
	LabelFix        = "fix"
)
