# Alert policies on the processing pipeline behind the seed's alerts: the
# scheduled runs that load staged work, the load jobs, uploads that end failed,
# the audit trail, and query latency. Each closes a gap the runbook named.

locals {
  scheduled_runs_filter = "metric.type=\"${local.user_metric["scheduled_runs"]}\" AND resource.type=\"cloud_run_revision\""
  query_latency_filter  = "metric.type=\"run.googleapis.com/request_latencies\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=\"${var.services["query"]}\""
}

resource "google_monitoring_alert_policy" "sweep_not_succeeding" {
  project               = var.project_id
  display_name          = "${var.name}: no successful sweep for ${var.sweep_absent_minutes} minutes"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "No scheduled_run line with run=sweep and outcome=ok for ${var.sweep_absent_minutes} minutes"

    # Absent, not below a threshold: a paused job, a token Cloud Run refuses and a
    # run that crashes all leave no "ok" line, and all three stop the re-drive.
    condition_absent {
      filter   = "${local.scheduled_runs_filter} AND metric.label.run=\"sweep\" AND metric.label.outcome=\"ok\""
      duration = "${var.sweep_absent_minutes * 60}s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac sweep has not succeeded for ${var.sweep_absent_minutes} minutes"
    content   = <<-EOT
      Cloud Scheduler job `${var.name}-sweep` calls `POST /sweep` on `${var.services["process"]}` every
      5 minutes. No run answered ok for ${var.sweep_absent_minutes} minutes, so stuck uploads are not
      re-driven, dead letters are not drained and the sweep's flush does not run.

      Check:
      1. `gcloud scheduler jobs describe ${var.name}-sweep`: state (PAUSED?), last attempt status.
      2. Process request logs for `/sweep`: 401/403 (OIDC audience or service account changed),
         503 (a dependency failing; the run's `reason` is in `jsonPayload.reason` of
         `jsonPayload.event="scheduled_run"`), or no request at all (job paused or deleted).
      3. The process service revision: is it serving?
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "scheduled_runs_failing" {
  project               = var.project_id
  display_name          = "${var.name}: more than ${var.scheduled_run_failures_max} failed scheduled runs in 30 minutes"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "scheduled_run lines with outcome=failed in 30 minutes > ${var.scheduled_run_failures_max}"

    condition_threshold {
      filter          = "${local.scheduled_runs_filter} AND metric.label.outcome=\"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.scheduled_run_failures_max
      duration        = "0s"

      aggregations {
        alignment_period     = "1800s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac scheduled runs failing"
    content   = <<-EOT
      `POST /flush` or `POST /sweep` on `${var.services["process"]}` failed more than
      ${var.scheduled_run_failures_max} times in 30 minutes. Each failed run is resumed by the next
      one, so staged uploads wait longer to load; persistent failures end in "uploads overdue".

      Check:
      1. Logs: `jsonPayload.event="scheduled_run" AND jsonPayload.outcome="failed"`: `run` and `reason`.
      2. Cloud Storage and BigQuery errors in the process logs around those runs.
      3. The load-job alert (a failing load job fails the flush that waits for it).
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "load_jobs_failing" {
  project               = var.project_id
  display_name          = "${var.name}: BigQuery load jobs failing"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "load_job_failed lines > 0 in 15 minutes"

    condition_threshold {
      filter          = "metric.type=\"${local.user_metric["load_jobs_failed"]}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.dataset", "metric.label.error_reason"]
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac BigQuery load jobs failing"
    content   = <<-EOT
      A load job of the flush ended with an `errorResult`. The flush retries with a fresh job id,
      then loads the manifest's uploads one by one and marks the one at fault `failed`.
      The incident is per dataset and BigQuery error reason.

      Check:
      1. Logs: `jsonPayload.event="load_job_failed"`: `job_id`, `dataset`, `error_reason`, `reason`.
      2. `error_reason=quotaExceeded` or `rateLimitExceeded`: the table's daily load-job quota
         (1,500 per table per day) or the project's; look for `POST /flush?force=true` in a loop.
      3. `error_reason=invalid`: schema drift between `schemas/*.json` and the table.
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "uploads_failed" {
  project               = var.project_id
  display_name          = "${var.name}: uploads ended failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "upload_processed lines with status=failed > 0 in 5 minutes"

    condition_threshold {
      filter          = "metric.type=\"${local.user_metric["uploads_processed"]}\" AND resource.type=\"cloud_run_revision\" AND metric.label.status=\"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.dataset"]
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac uploads ended failed"
    content   = <<-EOT
      An upload reached the final status `failed`: its bytes are kept in the raw bucket, but its
      rows were not loaded (not a data error: those end `rejected` or `partially_loaded`).
      Its producer sees `failed` with a trace id in `GET /uploads/{id}`.

      Check:
      1. Logs: `jsonPayload.event="upload_processed" AND jsonPayload.status="failed"`: the upload ids.
      2. The upload's status document `error` (a trace id) and the process logs of that trace.
      3. The load-job alert: a load job that failed three times marks its upload failed.
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "audit_writes_failing" {
  project               = var.project_id
  display_name          = "${var.name}: upload_events audit rows not written"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "audit_write_failed lines > 0 in an hour"

    condition_threshold {
      filter          = "metric.type=\"${local.user_metric["audit_writes_failed"]}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac audit trail has gaps"
    content   = <<-EOT
      Rows of the `upload_events` audit table could not be appended (BigQuery `tabledata.insertAll`
      failed after retries). Uploads and loads are unaffected: the audit is best effort and nothing
      reads it back, but the audit trail now misses those events.

      Check:
      1. Logs: `jsonPayload.event="audit_write_failed"`: `upload_id`, `status`, `reason`.
      2. BigQuery streaming quotas and errors, and the table's schema against `schemas/upload_events.json`.
      3. The services' `roles/bigquery.dataEditor` on the dataset.
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "7200s"
  }
}

resource "google_monitoring_alert_policy" "query_latency_p95" {
  project               = var.project_id
  display_name          = "${var.name}: query p95 latency above ${var.query_latency_p95_ms} ms"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "Query service p95 request latency > ${var.query_latency_p95_ms} ms for 10 minutes"

    condition_threshold {
      filter          = local.query_latency_filter
      comparison      = "COMPARISON_GT"
      threshold_value = var.query_latency_p95_ms
      duration        = "600s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac query p95 latency above ${var.query_latency_p95_ms} ms"
    content   = <<-EOT
      The 95th percentile of request latency at `${var.services["query"]}` has been above
      ${var.query_latency_p95_ms} ms for 10 minutes. Exports stream for longer by design and
      count here too; read the panel by route before acting.

      Check:
      1. Which routes: query request logs by `httpRequest.requestUrl` and latency.
      2. BigQuery: slot contention, and bytes scanned by the slow queries (filters that do not
         use the partitioning and clustering columns).
      3. Cold starts and instance count of the query service.
    EOT
  }

  alert_strategy {
    auto_close = "3600s"
  }
}
