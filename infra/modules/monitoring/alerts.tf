# Alert policies for seed Parte 5. Every policy carries markdown documentation
# (what it means, what to check) and the notification channels of var.

locals {
  post_requests_filter = "metric.type=\"${local.user_metric["post_requests"]}\" AND resource.type=\"cloud_run_revision\""
  post_latency_filter  = "metric.type=\"${local.user_metric["post_latency"]}\" AND resource.type=\"cloud_run_revision\""
  gateway_count_filter = "metric.type=\"apigateway.googleapis.com/proxy/request_count\" AND ${local.gateway_filter}"

  alert_labels = {
    app         = "tarmac"
    environment = var.environment
  }
}

resource "google_monitoring_alert_policy" "post_rate_high" {
  project               = var.project_id
  display_name          = "${var.name}: POST requests above ${var.post_rate_high_per_hour}/hour"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "POST requests in the last hour > ${var.post_rate_high_per_hour}"

    condition_threshold {
      filter          = local.post_requests_filter
      comparison      = "COMPARISON_GT"
      threshold_value = var.post_rate_high_per_hour
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
    subject   = "[${var.environment}] Tarmac POST rate above ${var.post_rate_high_per_hour}/hour"
    content   = <<-EOT
      More than ${var.post_rate_high_per_hour} POST uploads reached the ingest service in one hour
      (expected maximum: 50 airports x 10 takeoffs = 500/hour). Possible saturation or a DDoS.

      Check:
      1. API Gateway requests by response class on the Tarmac dashboard: is the traffic
         authenticated (2xx) or mostly rejected (401/403)?
      2. Cloud Run request logs of `${var.services["ingest"]}` for the callers
         (`httpRequest.remoteIp`, JWT subject in the ingest logs) and repeated files
         (same `sha256` in `upload_events`).
      3. Instance count and latency of the ingest service; `max_instances` caps cost.
      4. If it is abuse, revoke the caller's credentials at the JWT issuer.
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "7200s"
  }
}

resource "google_monitoring_alert_policy" "post_rate_low" {
  project               = var.project_id
  display_name          = "${var.name}: POST requests below ${var.post_rate_low_per_hour}/hour"
  combiner              = "OR"
  severity              = "WARNING"
  enabled               = var.low_traffic_alert_enabled
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "POST requests in the last hour < ${var.post_rate_low_per_hour}"

    condition_threshold {
      filter          = local.post_requests_filter
      comparison      = "COMPARISON_LT"
      threshold_value = var.post_rate_low_per_hour
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

  conditions {
    display_name = "No POST request at all for an hour"

    condition_absent {
      filter   = local.post_requests_filter
      duration = "3600s"

      aggregations {
        alignment_period     = "600s"
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
    subject   = "[${var.environment}] Tarmac POST rate below ${var.post_rate_low_per_hour}/hour"
    content   = <<-EOT
      Fewer than ${var.post_rate_low_per_hour} POST uploads (or none) reached the ingest service in
      the last hour. Airports may not be able to reach the API, or takeoffs are not being recorded.

      Check:
      1. API Gateway 4xx/5xx on the dashboard: are clients being rejected (expired JWTs, wrong
         audience) before reaching ingest?
      2. The gateway itself (`${var.gateway_id}`) and the ingest service revision status.
      3. Whether the issuer's JWKS (x-google-jwks_uri) is reachable.
      4. With the airports: a connectivity problem on their side, or a legitimately quiet period.
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "7200s"
  }
}

resource "google_monitoring_alert_policy" "error_ratio" {
  project               = var.project_id
  display_name          = "${var.name}: 5xx ratio above ${var.error_ratio_threshold * 100}%"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "API Gateway 5xx / all requests > ${var.error_ratio_threshold * 100}% for 5 minutes"

    condition_threshold {
      filter             = "${local.gateway_count_filter} AND metric.label.response_code_class=\"5xx\""
      denominator_filter = local.gateway_count_filter
      comparison         = "COMPARISON_GT"
      threshold_value    = var.error_ratio_threshold
      duration           = "300s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }

      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac 5xx ratio above ${var.error_ratio_threshold * 100}%"
    content   = <<-EOT
      More than ${var.error_ratio_threshold * 100}% of the requests through the API gateway
      `${var.gateway_id}` ended in a 5xx for 5 minutes.

      Check:
      1. Dashboard "Cloud Run error rate per service": which backend fails (ingest or query)?
      2. Cloud Run logs of that service at severity>=ERROR; a new revision (roll back with
         `gcloud run services update-traffic --to-revisions=<previous>=100`)?
      3. 503/504 from the gateway without backend errors: backend timeouts, max instances
         reached, or the gateway SA lost `roles/run.invoker`.
      4. BigQuery or GCS errors in the service logs (quota, permissions after an IAM change).
    EOT
  }

  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "post_latency_p95" {
  project               = var.project_id
  display_name          = "${var.name}: POST p95 latency above ${var.post_latency_p95_ms} ms"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "POST p95 latency > ${var.post_latency_p95_ms} ms for 5 minutes"

    condition_threshold {
      filter          = local.post_latency_filter
      comparison      = "COMPARISON_GT"
      threshold_value = local.latency_threshold_s
      duration        = "300s"

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
    subject   = "[${var.environment}] Tarmac POST p95 latency above ${var.post_latency_p95_ms} ms"
    content   = <<-EOT
      The 95th percentile of POST latency at the ingest service (`${var.services["ingest"]}`)
      has been above ${var.post_latency_p95_ms} ms for 5 minutes; the POST latency SLO is at risk.

      Check:
      1. Cold starts: "container startup latency" and instance count on the dashboard; consider
         `min_instances = 1` for ingest.
      2. Upload sizes: large bodies should use `POST /uploads` (signed resumable URL) instead.
      3. Cloud Storage write latency (the raw object, the claim and the state document) and the
         upload_events audit append (BigQuery insertAll, still on the request path) in the ingest logs.
      4. CPU/memory limits and concurrency of the ingest service.
    EOT
  }

  depends_on = [time_sleep.log_metrics_propagation]

  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "dead_letter_not_empty" {
  project               = var.project_id
  display_name          = "${var.name}: dead letters not drained by the sweep"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "Undelivered messages in ${var.sweep_subscription_name} > 0 for 15 minutes"

    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.sweep_sub_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = 0

      # The sweep runs every few minutes; a message still waiting after three
      # sweeps means the sweep cannot finish it.
      duration = "900s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac dead letters not drained by the sweep"
    content   = <<-EOT
      Object-finalized events exhausted their push delivery attempts and were dead-lettered, and
      the scheduled `POST /sweep` of `${var.services["process"]}` has not drained them from
      `${var.sweep_subscription_name}` for 15 minutes. The raw files are safe in the bucket, but
      they are not loaded.

      Check:
      1. Cloud Scheduler job `${var.name}-sweep`: last run status (401/403 = OIDC token refused:
         audience or pusher SA changed; 5xx = process error).
      2. Process logs of `/sweep` and of the upload ids (`jsonPayload.upload_id`); the audit copy
         `gcloud pubsub subscriptions pull ${var.dead_letter_subscription_name} --limit=5` shows the
         object names (`raw/<dataset>/...`).
      3. Fix the cause (schema, permissions, BigQuery quota); the next sweep drives them again.
    EOT
  }

  alert_strategy {
    auto_close = "86400s"
  }
}

resource "google_monitoring_alert_policy" "upload_overdue" {
  project               = var.project_id
  display_name          = "${var.name}: uploads without a final status after ${var.overdue_minutes} minutes"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "upload_overdue log lines > 0"

    condition_threshold {
      filter          = "metric.type=\"${local.user_metric["upload_overdue"]}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

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
    subject   = "[${var.environment}] Tarmac uploads stuck for more than ${var.overdue_minutes} minutes"
    content   = <<-EOT
      The sweep of `${var.services["process"]}` found uploads older than ${var.overdue_minutes} minutes
      that still have no final status (loaded, partially_loaded, rejected, failed): stored, but not
      (yet) queryable. It logs one `event="upload_overdue"` line per such upload and sweep.

      Check:
      1. Logs: `jsonPayload.event="upload_overdue"` for the upload ids and datasets.
      2. Cloud Scheduler jobs `${var.name}-flush` and `${var.name}-sweep`: are they running and
         answered 2xx? A paused or failing flush leaves staged work pending.
      3. BigQuery load jobs of the dataset (`errorResult`, quota of 1,500 per table per day).
      4. The push subscription backlog and the dead-letter alert.
    EOT
  }

  alert_strategy {
    auto_close = "3600s"
  }

  depends_on = [time_sleep.log_metrics_propagation]

  lifecycle {
    precondition {
      condition     = !var.require_notification_channels || length(var.notification_channels) > 0
      error_message = "notification_channels is empty but this environment requires at least one (set notification_channels in envs/<env>.tfvars to projects/<p>/notificationChannels/<id>)."
    }
  }
}

resource "google_monitoring_alert_policy" "oldest_unacked" {
  project               = var.project_id
  display_name          = "${var.name}: oldest unacked upload event older than ${var.oldest_unacked_max_seconds / 60} minutes"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "Oldest unacked message age in ${var.subscription_name} > ${var.oldest_unacked_max_seconds}s"

    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.push_sub_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.oldest_unacked_max_seconds
      duration        = "60s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac processing backlog older than ${var.oldest_unacked_max_seconds / 60} minutes"
    content   = <<-EOT
      An object-finalized event has waited more than ${var.oldest_unacked_max_seconds / 60} minutes
      in `${var.subscription_name}`: pushes are not being acknowledged, so uploads are not being
      validated and staged (a push is acknowledged once its rows are staged, before any load job).

      Check:
      1. Process service (`${var.services["process"]}`) errors and 5xx on `/pubsub/push`;
         401/403 means the push OIDC token is refused (audience or push service account changed).
      2. Instance count at `max_instances` (backlog faster than validation and staging), and
         Cloud Storage errors (reading raw/, writing staging/ and state/) in the process logs.
      3. Push endpoint URL of the subscription still matches the process service URL.
      Loads themselves are the flush's (Cloud Scheduler `POST /flush`): they do not hold acks back.
    EOT
  }

  alert_strategy {
    auto_close = "3600s"
  }
}
