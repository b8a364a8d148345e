# Cloud Scheduler HTTP jobs that call the private process service with an
# OIDC token of the pusher service account (the only run.invoker of process),
# audience = the push audience (a custom audience of the service).
#
# Cloud Scheduler in the same project is an internal source for Cloud Run's
# "internal" ingress: https://cloud.google.com/run/docs/securing/ingress
# OIDC tokens for HTTP targets:
# https://cloud.google.com/scheduler/docs/http-target-auth

resource "google_cloud_scheduler_job" "this" {
  for_each = var.jobs

  project          = var.project_id
  region           = var.region
  name             = "${var.name}-${each.key}"
  description      = each.value.description
  schedule         = each.value.schedule
  time_zone        = var.time_zone
  attempt_deadline = each.value.attempt_deadline
  paused           = var.paused

  # A failed call is retried a few times; the next tick comes anyway, and
  # process makes /flush and /sweep safe to overlap (flush lease per dataset).
  retry_config {
    retry_count          = var.retry_count
    min_backoff_duration = "10s"
    max_backoff_duration = "60s"
    max_doublings        = 2
  }

  http_target {
    http_method = "POST"
    uri         = "${var.target_url}${each.value.path}"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode("{}")

    oidc_token {
      service_account_email = var.oidc_service_account_email
      audience              = var.oidc_audience
    }
  }
}
