# Log-based metrics from the services' logs. The rest of the module is split
# into dashboard.tf, alerts.tf and slos.tf.

locals {
  metric_prefix = replace(var.name, "-", "_")

  user_metric = { for k, m in google_logging_metric.this : k => "logging.googleapis.com/user/${m.name}" }

  services_one_of = join(", ", [for s in values(var.services) : "\"${s}\""])

  # Cloud Run request logs of the ingest service, POST only: every upload route.
  post_request_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.services["ingest"]}\"",
    "log_id(\"run.googleapis.com/requests\")",
    "httpRequest.requestMethod=\"POST\"",
  ])

  # One structured line per processed upload, written by the process service.
  upload_processed_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.services["process"]}\"",
    "jsonPayload.event=\"upload_processed\"",
  ])

  # One line per upload older than overdue_minutes without a final status,
  # written by process's POST /sweep.
  upload_overdue_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.services["process"]}\"",
    "jsonPayload.event=\"upload_overdue\"",
  ])

  # One line per scheduled run (POST /flush, POST /sweep) with its outcome, written by process.
  scheduled_run_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.services["process"]}\"",
    "jsonPayload.event=\"scheduled_run\"",
  ])

  # One line per BigQuery load job that ended with an errorResult, written by process's flush.
  load_job_failed_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.services["process"]}\"",
    "jsonPayload.event=\"load_job_failed\"",
  ])

  # One line per upload_events row that could not be appended (ingest on POST, process on outcomes).
  audit_write_failed_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "(resource.labels.service_name=\"${var.services["ingest"]}\" OR resource.labels.service_name=\"${var.services["process"]}\")",
    "jsonPayload.event=\"audit_write_failed\"",
  ])

  upload_labels = {
    dataset = "EXTRACT(jsonPayload.dataset)"
    status  = "EXTRACT(jsonPayload.status)"
  }

  log_metrics = {
    rows_loaded = {
      description     = "Rows loaded per processed upload (jsonPayload.rows_loaded of event=upload_processed)."
      filter          = local.upload_processed_log_filter
      value_type      = "DISTRIBUTION"
      unit            = "1"
      value_extractor = "EXTRACT(jsonPayload.rows_loaded)"
      labels          = local.upload_labels
      buckets         = "rows"
    }
    rows_rejected = {
      description     = "Rows rejected per processed upload (jsonPayload.rows_rejected of event=upload_processed)."
      filter          = local.upload_processed_log_filter
      value_type      = "DISTRIBUTION"
      unit            = "1"
      value_extractor = "EXTRACT(jsonPayload.rows_rejected)"
      labels          = local.upload_labels
      buckets         = "rows"
    }
    uploads_processed = {
      description     = "Processed uploads by dataset and status (loaded, partially_loaded, rejected, failed)."
      filter          = local.upload_processed_log_filter
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = local.upload_labels
      buckets         = null
    }
    upload_overdue = {
      description     = "Uploads older than ${var.overdue_minutes} minutes without a final status, one per sweep that found them (jsonPayload.event=upload_overdue)."
      filter          = local.upload_overdue_log_filter
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = { dataset = "EXTRACT(jsonPayload.dataset)" }
      buckets         = null
    }
    scheduled_runs = {
      description     = "Scheduled runs of process (POST /flush, POST /sweep) by run and outcome (ok, failed)."
      filter          = local.scheduled_run_log_filter
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = { run = "EXTRACT(jsonPayload.run)", outcome = "EXTRACT(jsonPayload.outcome)" }
      buckets         = null
    }
    load_jobs_failed = {
      description     = "BigQuery load jobs that ended with an errorResult, by dataset and BigQuery error reason (quotaExceeded, invalid, ...)."
      filter          = local.load_job_failed_log_filter
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = { dataset = "EXTRACT(jsonPayload.dataset)", error_reason = "EXTRACT(jsonPayload.error_reason)" }
      buckets         = null
    }
    audit_writes_failed = {
      description     = "upload_events rows that could not be appended (tabledata.insertAll failed after retries)."
      filter          = local.audit_write_failed_log_filter
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = {}
      buckets         = null
    }
    post_requests = {
      description     = "POST requests served by the ingest service (Cloud Run request log)."
      filter          = local.post_request_log_filter
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = {}
      buckets         = null
    }
    post_5xx = {
      description     = "POST requests of the ingest service answered with a 5xx status."
      filter          = "${local.post_request_log_filter} AND httpRequest.status>=500"
      value_type      = "INT64"
      unit            = "1"
      value_extractor = null
      labels          = {}
      buckets         = null
    }
    post_latency = {
      description     = "Latency in seconds of POST requests served by the ingest service (httpRequest.latency)."
      filter          = local.post_request_log_filter
      value_type      = "DISTRIBUTION"
      unit            = "s"
      value_extractor = "REGEXP_EXTRACT(httpRequest.latency, \"([0-9.]+)s\")"
      labels          = {}
      buckets         = "latency"
    }
  }

  # The latency buckets include the SLO threshold exactly, so the SLO's
  # distribution cut and the p95 alert are not interpolated across it.
  latency_threshold_s = var.post_latency_p95_ms / 1000
  latency_base_bounds = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60]
  latency_bounds = concat(
    [for b in local.latency_base_bounds : b if b < local.latency_threshold_s],
    [local.latency_threshold_s],
    [for b in local.latency_base_bounds : b if b > local.latency_threshold_s],
  )
}

resource "google_logging_metric" "this" {
  for_each = local.log_metrics

  project          = var.project_id
  name             = "${local.metric_prefix}_${each.key}"
  description      = each.value.description
  filter           = each.value.filter
  value_extractor  = each.value.value_extractor
  label_extractors = each.value.labels

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = each.value.value_type
    unit         = each.value.unit
    display_name = "${var.name} ${each.key}"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key         = labels.key
        value_type  = "STRING"
        description = "Extracted with ${labels.value}."
      }
    }
  }

  dynamic "bucket_options" {
    for_each = each.value.buckets == null ? [] : [each.value.buckets]
    content {
      dynamic "exponential_buckets" {
        for_each = bucket_options.value == "rows" ? [1] : []
        content {
          num_finite_buckets = 32
          growth_factor      = 2
          scale              = 1
        }
      }

      dynamic "explicit_buckets" {
        for_each = bucket_options.value == "latency" ? [1] : []
        content {
          bounds = local.latency_bounds
        }
      }
    }
  }
}

# Alert policies and SLOs on a log-based metric created in the same apply fail
# with "Cannot find metric(s)" until Cloud Monitoring knows the new metric
# descriptor (hashicorp/terraform-provider-google#11102). Everything that
# filters on a user metric depends on this wait; it runs again only when a
# metric is replaced.
resource "time_sleep" "log_metrics_propagation" {
  create_duration = var.log_metric_propagation_wait

  triggers = {
    metrics = join(",", sort([for m in google_logging_metric.this : m.id]))
  }

  depends_on = [google_logging_metric.this]
}
