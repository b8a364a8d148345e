variable "project_id" {
  type        = string
  description = "Project that hosts the scheduler jobs."
}

variable "region" {
  type        = string
  description = "Cloud Scheduler location (a region such as us-central1)."
}

variable "name" {
  type        = string
  description = "Name prefix (<prefix>-<environment>); jobs are <name>-<key>."
}

variable "target_url" {
  type        = string
  description = "Base URL of the process service (https://...run.app); each job appends its path."

  validation {
    condition     = startswith(var.target_url, "https://") && !endswith(var.target_url, "/")
    error_message = "target_url must be an https:// URL without a trailing slash."
  }
}

variable "oidc_service_account_email" {
  type        = string
  description = "Service account whose OIDC token each call carries (the pusher SA, run.invoker of process)."
}

variable "oidc_audience" {
  type        = string
  description = "aud of the OIDC token (TARMAC_PUSH_AUDIENCE; a custom audience of the process service)."

  validation {
    condition     = length(var.oidc_audience) > 0
    error_message = "oidc_audience must not be empty."
  }
}

variable "jobs" {
  type = map(object({
    description      = string
    path             = string
    schedule         = string
    attempt_deadline = optional(string, "300s")
  }))
  description = "Jobs by short name: POST <target_url><path> on a cron schedule (unix-cron, in time_zone)."

  validation {
    condition     = alltrue([for k, j in var.jobs : startswith(j.path, "/") && length(split(" ", j.schedule)) == 5])
    error_message = "each job needs a path starting with / and a 5-field unix-cron schedule."
  }

  validation {
    condition     = alltrue([for k, j in var.jobs : can(regex("^[0-9]+s$", j.attempt_deadline)) && tonumber(trimsuffix(j.attempt_deadline, "s")) >= 15 && tonumber(trimsuffix(j.attempt_deadline, "s")) <= 1800])
    error_message = "attempt_deadline must be between 15s and 1800s (Cloud Scheduler's range for HTTP targets)."
  }
}

variable "time_zone" {
  type        = string
  description = "Time zone of the schedules (tz database name)."
  default     = "Etc/UTC"
}

variable "retry_count" {
  type        = number
  description = "Retries of a failed call before the job waits for its next tick."
  default     = 2

  validation {
    condition     = var.retry_count >= 0 && var.retry_count <= 5
    error_message = "retry_count must be between 0 and 5."
  }
}

variable "paused" {
  type        = bool
  description = "Create the jobs paused (for an environment that must not load anything)."
  default     = false
}
