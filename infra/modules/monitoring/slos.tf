# SLOs for seed Parte 5 on a custom service, each with a burn-rate alert.

resource "google_monitoring_custom_service" "api" {
  project      = var.project_id
  service_id   = "${var.name}-api"
  display_name = "Tarmac API (${var.environment})"
  user_labels  = local.alert_labels
}

# 95% of POST requests answered in under 300 ms (rolling 28 days).
resource "google_monitoring_slo" "post_latency" {
  project             = var.project_id
  service             = google_monitoring_custom_service.api.service_id
  slo_id              = "post-latency"
  display_name        = "${floor(var.slo_post_latency_goal * 100)}% of POST requests under ${var.post_latency_p95_ms} ms"
  goal                = var.slo_post_latency_goal
  rolling_period_days = 28
  user_labels         = local.alert_labels

  depends_on = [time_sleep.log_metrics_propagation]

  request_based_sli {
    distribution_cut {
      distribution_filter = local.post_latency_filter

      range {
        max = local.latency_threshold_s
      }
    }
  }
}

# API Gateway available (non-5xx) 99.9% of requests per calendar month.
resource "google_monitoring_slo" "gateway_availability" {
  project         = var.project_id
  service         = google_monitoring_custom_service.api.service_id
  slo_id          = "gateway-availability"
  display_name    = "API Gateway ${var.slo_availability_goal * 100}% available per calendar month"
  goal            = var.slo_availability_goal
  calendar_period = "MONTH"
  user_labels     = local.alert_labels

  request_based_sli {
    good_total_ratio {
      total_service_filter = local.gateway_count_filter
      bad_service_filter   = "${local.gateway_count_filter} AND metric.label.response_code_class=\"5xx\""
    }
  }
}

# Fewer than 1% of POST requests end in a 5xx (rolling 28 days).
resource "google_monitoring_slo" "post_errors" {
  project             = var.project_id
  service             = google_monitoring_custom_service.api.service_id
  slo_id              = "post-errors"
  display_name        = "Fewer than ${(1 - var.slo_post_errors_goal) * 100}% of POST requests return 5xx"
  goal                = var.slo_post_errors_goal
  rolling_period_days = 28
  user_labels         = local.alert_labels

  depends_on = [time_sleep.log_metrics_propagation]

  request_based_sli {
    good_total_ratio {
      total_service_filter = local.post_requests_filter
      bad_service_filter   = "metric.type=\"${local.user_metric["post_5xx"]}\" AND resource.type=\"cloud_run_revision\""
    }
  }
}

locals {
  slos = {
    post_latency = {
      name  = google_monitoring_slo.post_latency.name
      title = "POST latency"
      what  = "POST requests slower than ${var.post_latency_p95_ms} ms"
    }
    gateway_availability = {
      name  = google_monitoring_slo.gateway_availability.name
      title = "API Gateway availability"
      what  = "requests through the gateway answered with a 5xx"
    }
    post_errors = {
      name  = google_monitoring_slo.post_errors.name
      title = "POST 5xx"
      what  = "POST requests answered with a 5xx"
    }
  }
}

resource "google_monitoring_alert_policy" "slo_burn_rate" {
  for_each = local.slos

  project               = var.project_id
  display_name          = "${var.name}: ${each.value.title} SLO burning error budget ${var.slo_burn_rate_threshold}x too fast"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "Burn rate over ${var.slo_burn_rate_lookback} > ${var.slo_burn_rate_threshold}"

    condition_threshold {
      filter          = "select_slo_burn_rate(\"${each.value.name}\", \"${var.slo_burn_rate_lookback}\")"
      comparison      = "COMPARISON_GT"
      threshold_value = var.slo_burn_rate_threshold
      duration        = "0s"

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "[${var.environment}] Tarmac ${each.value.title} SLO: fast error-budget burn"
    content   = <<-EOT
      The ${each.value.title} SLO is consuming its error budget ${var.slo_burn_rate_threshold} times
      faster than sustainable over the last ${var.slo_burn_rate_lookback}: too many ${each.value.what}.
      At this rate the budget of the whole compliance period is gone in a few days.

      Check:
      1. Monitoring > Services > "Tarmac API (${var.environment})" for the SLO's remaining budget.
      2. The matching threshold alert (5xx ratio, POST p95 latency) and the Tarmac dashboard.
      3. Recent deploys (Cloud Build history of the `${var.environment}` trigger): roll back first,
         investigate second.
      4. Freeze risky changes until the budget recovers.
    EOT
  }

  alert_strategy {
    auto_close = "3600s"
  }
}
