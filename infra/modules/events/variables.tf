variable "project_id" {
  type        = string
  description = "Project that owns the topics and subscriptions."
}

variable "name" {
  type        = string
  description = "Name prefix (<prefix>-<environment>)."
}

variable "labels" {
  type        = map(string)
  description = "Labels for topics and subscriptions."
  default     = {}
}

variable "bucket" {
  type        = string
  description = "Raw bucket whose OBJECT_FINALIZE events are published."
}

variable "object_prefix" {
  type        = string
  description = "Only objects under this prefix raise events (state/, claims/ and staging/ writes must not)."
  default     = "raw/"

  validation {
    condition     = length(var.object_prefix) > 0 && endswith(var.object_prefix, "/")
    error_message = "object_prefix must be a non-empty folder prefix ending in '/'."
  }
}

variable "push_endpoint" {
  type        = string
  description = "HTTPS endpoint of the process service, <process-url>/pubsub/push."

  validation {
    condition     = startswith(var.push_endpoint, "https://")
    error_message = "push_endpoint must be an https:// URL."
  }
}

variable "push_audience" {
  type        = string
  description = "Audience of the OIDC token sent with every push (a custom audience of the process service)."
}

variable "push_service_account_email" {
  type        = string
  description = "Email of the dedicated push service account that signs the OIDC token."
}

variable "push_service_account_id" {
  type        = string
  description = "Fully qualified id (projects/<p>/serviceAccounts/<email>) of the push service account."
}

variable "ack_deadline_seconds" {
  type        = number
  description = "Ack deadline of the push and sweep subscriptions: how long Pub/Sub waits for an answer before redelivering. process answers a push after validating and staging (seconds), but staging a signed-URL upload of several GiB takes longer."
  default     = 600

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600
    error_message = "ack_deadline_seconds must be between 10 and 600."
  }
}

variable "retry_minimum_backoff" {
  type        = string
  description = "Minimum retry backoff (duration string, e.g. 10s)."
  default     = "10s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?s$", var.retry_minimum_backoff))
    error_message = "retry_minimum_backoff must be a duration in seconds such as 10s."
  }
}

variable "retry_maximum_backoff" {
  type        = string
  description = "Maximum retry backoff (duration string, at most 600s)."
  default     = "600s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?s$", var.retry_maximum_backoff))
    error_message = "retry_maximum_backoff must be a duration in seconds such as 600s."
  }
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries before a message is moved to the dead-letter topic."
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100."
  }
}

variable "message_retention" {
  type        = string
  description = "Message retention for topics and subscriptions (duration string, max 604800s on subscriptions)."
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.message_retention))
    error_message = "message_retention must be a duration in whole seconds such as 604800s."
  }
}

variable "dead_letter_sweep_subscription_name" {
  type        = string
  description = "Name of the dead-letter pull subscription that process drains in POST /sweep."

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9._~%+-]{2,254}$", var.dead_letter_sweep_subscription_name))
    error_message = "dead_letter_sweep_subscription_name must be a valid Pub/Sub subscription name."
  }
}

variable "dead_letter_sweep_member" {
  type        = string
  description = "IAM member (serviceAccount:...) granted roles/pubsub.subscriber on the sweep subscription only: the process SA."

  validation {
    condition     = startswith(var.dead_letter_sweep_member, "serviceAccount:")
    error_message = "dead_letter_sweep_member must be a service account member."
  }
}
