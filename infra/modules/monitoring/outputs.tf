output "dashboard_id" {
  description = "Id of the Tarmac dashboard."
  value       = google_monitoring_dashboard.this.id
}

output "log_metrics" {
  description = "Metric types of the log-based metrics, by short name."
  value       = local.user_metric
}

output "alert_policies" {
  description = "Alert policy ids by purpose."
  value = merge({
    post_rate_high         = google_monitoring_alert_policy.post_rate_high.name
    post_rate_low          = google_monitoring_alert_policy.post_rate_low.name
    error_ratio            = google_monitoring_alert_policy.error_ratio.name
    post_latency_p95       = google_monitoring_alert_policy.post_latency_p95.name
    dead_letter_not_empty  = google_monitoring_alert_policy.dead_letter_not_empty.name
    oldest_unacked         = google_monitoring_alert_policy.oldest_unacked.name
    upload_overdue         = google_monitoring_alert_policy.upload_overdue.name
    sweep_not_succeeding   = google_monitoring_alert_policy.sweep_not_succeeding.name
    scheduled_runs_failing = google_monitoring_alert_policy.scheduled_runs_failing.name
    load_jobs_failing      = google_monitoring_alert_policy.load_jobs_failing.name
    uploads_failed         = google_monitoring_alert_policy.uploads_failed.name
    audit_writes_failing   = google_monitoring_alert_policy.audit_writes_failing.name
    query_latency_p95      = google_monitoring_alert_policy.query_latency_p95.name
  }, { for k, p in google_monitoring_alert_policy.slo_burn_rate : "slo_burn_${k}" => p.name })
}

output "slos" {
  description = "SLO resource names by purpose."
  value       = { for k, s in local.slos : k => s.name }
}

output "custom_service" {
  description = "Monitoring custom service that holds the SLOs."
  value       = google_monitoring_custom_service.api.name
}
