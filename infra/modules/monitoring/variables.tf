variable "project_id" {
  type        = string
  description = "Project that hosts the metrics, dashboard, alerts and SLOs."
}

variable "name" {
  type        = string
  description = "Name prefix (<prefix>-<environment>); log-based metrics are <prefix>_<environment>_<metric>."
}

variable "environment" {
  type        = string
  description = "Environment name (develop or master) for titles and labels."
}

variable "notification_channels" {
  type        = list(string)
  description = "Notification channel ids (projects/<p>/notificationChannels/<id>) attached to every alert policy; empty = incidents open in Cloud Monitoring but nobody is notified."
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "notification_channels must be full ids: projects/<project>/notificationChannels/<id>."
  }
}

variable "require_notification_channels" {
  type        = bool
  description = "Refuse an empty notification_channels (plan fails); true for production."
  default     = false
}

variable "log_metric_propagation_wait" {
  type        = string
  description = "Wait between creating log-based metrics and the alert policies/SLOs that use them (terraform-provider-google#11102)."
  default     = "90s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.log_metric_propagation_wait))
    error_message = "log_metric_propagation_wait must be a duration in whole seconds such as 90s."
  }
}

variable "overdue_minutes" {
  type        = number
  description = "Age after which process's sweep logs an upload without a final status as upload_overdue (used in alert texts; the app owns the value)."
  default     = 15

  validation {
    condition     = var.overdue_minutes >= 1
    error_message = "overdue_minutes must be at least 1."
  }
}

variable "services" {
  type        = map(string)
  description = "Cloud Run service names by function; keys ingest, process and query."

  validation {
    condition     = alltrue([for k in ["ingest", "process", "query"] : contains(keys(var.services), k)])
    error_message = "services must contain ingest, process and query."
  }
}

variable "raw_bucket" {
  type        = string
  description = "Raw uploads bucket name (object count and bytes)."
}

variable "topic_name" {
  type        = string
  description = "Object-finalized topic short name (object-created events)."
}

variable "subscription_name" {
  type        = string
  description = "Push subscription short name (oldest unacked age, dead-letter count)."
}

variable "dead_letter_subscription_name" {
  type        = string
  description = "Dead-letter pull subscription short name (must stay empty)."
}

variable "sweep_subscription_name" {
  type        = string
  description = "Dead-letter subscription drained by process's POST /sweep (alert when it is not drained)."
}

variable "gateway_id" {
  type        = string
  description = "API Gateway gateway id (resource label gateway_id of apigateway.googleapis.com/Gateway)."
}

variable "post_rate_high_per_hour" {
  type        = number
  description = "Alert threshold: POST requests per hour above this."
  default     = 600
}

variable "post_rate_low_per_hour" {
  type        = number
  description = "Alert threshold: POST requests per hour below this."
  default     = 400
}

variable "low_traffic_alert_enabled" {
  type        = bool
  description = "Whether the low POST rate policy is enabled."
  default     = true
}

variable "error_ratio_threshold" {
  type        = number
  description = "Alert threshold: fraction of gateway requests answered 5xx."
  default     = 0.01

  validation {
    condition     = var.error_ratio_threshold > 0 && var.error_ratio_threshold < 1
    error_message = "error_ratio_threshold must be between 0 and 1."
  }
}

variable "post_latency_p95_ms" {
  type        = number
  description = "POST latency threshold in ms for the p95 alert and the latency SLO."
  default     = 300

  validation {
    condition     = var.post_latency_p95_ms > 0
    error_message = "post_latency_p95_ms must be positive."
  }
}

variable "oldest_unacked_max_seconds" {
  type        = number
  description = "Alert threshold: age in seconds of the oldest unacked push message."
  default     = 600
}

variable "slo_post_latency_goal" {
  type        = number
  description = "Goal of the POST latency SLO."
  default     = 0.95

  validation {
    condition     = var.slo_post_latency_goal > 0 && var.slo_post_latency_goal < 1
    error_message = "slo_post_latency_goal must be between 0 and 1."
  }
}

variable "slo_availability_goal" {
  type        = number
  description = "Goal of the gateway availability SLO (calendar month)."
  default     = 0.999

  validation {
    condition     = var.slo_availability_goal > 0 && var.slo_availability_goal < 1
    error_message = "slo_availability_goal must be between 0 and 1."
  }
}

variable "slo_post_errors_goal" {
  type        = number
  description = "Goal of the POST 5xx SLO (fraction of POSTs without 5xx)."
  default     = 0.99

  validation {
    condition     = var.slo_post_errors_goal > 0 && var.slo_post_errors_goal < 1
    error_message = "slo_post_errors_goal must be between 0 and 1."
  }
}

variable "slo_burn_rate_threshold" {
  type        = number
  description = "Burn rate that triggers the SLO alerts."
  default     = 10
}

variable "slo_burn_rate_lookback" {
  type        = string
  description = "Lookback window of select_slo_burn_rate (e.g. 3600s)."
  default     = "3600s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.slo_burn_rate_lookback))
    error_message = "slo_burn_rate_lookback must be a duration in whole seconds."
  }
}

variable "sweep_absent_minutes" {
  type        = number
  description = "Open an incident when no POST /sweep succeeded for this long (the sweep runs every 5 minutes)."
  default     = 20

  validation {
    condition     = var.sweep_absent_minutes >= 10 && var.sweep_absent_minutes <= 1440
    error_message = "sweep_absent_minutes must be between 10 (two missed sweeps) and 1440."
  }
}

variable "scheduled_run_failures_max" {
  type        = number
  description = "Failed scheduled runs (flush and sweep together) tolerated in 30 minutes before alerting; single failures are retried by Cloud Scheduler and the next run."
  default     = 2

  validation {
    condition     = var.scheduled_run_failures_max >= 0
    error_message = "scheduled_run_failures_max must be 0 or more."
  }
}

variable "query_latency_p95_ms" {
  type        = number
  description = "Alert when the query service's p95 request latency stays above this many milliseconds for 10 minutes."
  default     = 2000

  validation {
    condition     = var.query_latency_p95_ms >= 100 && var.query_latency_p95_ms <= 60000
    error_message = "query_latency_p95_ms must be between 100 and 60000."
  }
}
