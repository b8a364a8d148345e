variable "project_id" {
  type        = string
  description = "Project that hosts the service."
}

variable "region" {
  type        = string
  description = "Cloud Run region."
}

variable "name" {
  type        = string
  description = "Service name (<prefix>-<environment>-<function>)."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", var.name))
    error_message = "name must be at most 49 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "description" {
  type        = string
  description = "Human-readable description of the service."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Labels for the service and its revisions."
  default     = {}
}

variable "image" {
  type        = string
  description = "Container image, <container_repository>/<function>:<image_tag>."
}

variable "service_account_email" {
  type        = string
  description = "Runtime service account (one per service)."
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables for the container."
  default     = {}
}

variable "secret_env" {
  type = map(object({
    secret  = string
    version = string
  }))
  description = "Environment variables read from Secret Manager (value_source.secret_key_ref): name => { secret = secret id or projects/<p>/secrets/<id>, version = a version number }. The caller grants the runtime service account secretAccessor on each secret."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.secret_env : can(regex("^[A-Z][A-Z0-9_]*$", k))])
    error_message = "secret_env names must be upper-case environment variable names (A-Z, 0-9, _)."
  }

  validation {
    condition     = alltrue([for k, v in var.secret_env : can(regex("^(projects/[a-z0-9-]+/secrets/)?[A-Za-z0-9_-]{1,255}$", v.secret))])
    error_message = "secret_env secret must be a secret id or projects/<project>/secrets/<id>."
  }

  # A pinned version, never "latest": instances resolve env secrets at startup,
  # so "latest" would let instances of one revision disagree during a rotation.
  validation {
    condition     = alltrue([for k, v in var.secret_env : can(regex("^[1-9][0-9]*$", v.version))])
    error_message = "secret_env version must be a version number (pin it; \"latest\" lets instances disagree after a rotation)."
  }
}

variable "port" {
  type        = number
  description = "Container port; also used by the /healthz probes."
  default     = 8080

  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port must be between 1 and 65535."
  }
}

variable "ingress" {
  type        = string
  description = "Ingress setting: INGRESS_TRAFFIC_ALL (needed behind API Gateway), INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  default     = "INGRESS_TRAFFIC_ALL"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "custom_audiences" {
  type        = list(string)
  description = "Extra audiences accepted in ID tokens (e.g. the Pub/Sub push audience)."
  default     = []
}

variable "invokers" {
  type        = map(string)
  description = "Members granted roles/run.invoker on this service, keyed by a static name. Public members are refused."
  default     = {}

  validation {
    condition     = alltrue([for k, m in var.invokers : !contains(["allUsers", "allAuthenticatedUsers"], m)])
    error_message = "Services are private: allUsers and allAuthenticatedUsers may not invoke them."
  }
}

variable "min_instances" {
  type        = number
  description = "Minimum instances (0 scales to zero)."
  default     = 0

  validation {
    condition     = var.min_instances >= 0
    error_message = "min_instances must be >= 0."
  }
}

variable "max_instances" {
  type        = number
  description = "Maximum instances (caps cost and BigQuery/GCS fan-out)."
  default     = 10

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000
    error_message = "max_instances must be between 1 and 1000."
  }
}

variable "concurrency" {
  type        = number
  description = "Maximum concurrent requests per instance."
  default     = 80

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000
    error_message = "concurrency must be between 1 and 1000."
  }
}

variable "cpu" {
  type        = string
  description = "CPU limit (e.g. 1, 2, 1000m)."
  default     = "1"

  validation {
    condition     = can(regex("^([0-9]+|[0-9]+m)$", var.cpu))
    error_message = "cpu must be a whole number of CPUs (\"1\") or millicpu (\"1000m\")."
  }
}

variable "memory" {
  type        = string
  description = "Memory limit (e.g. 512Mi, 1Gi)."
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must look like 512Mi or 1Gi."
  }
}

variable "cpu_idle" {
  type        = bool
  description = "Throttle CPU outside requests (request-based billing)."
  default     = true
}

variable "timeout_seconds" {
  type        = number
  description = "Request timeout in seconds."
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 3600
    error_message = "timeout_seconds must be between 1 and 3600."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse terraform destroy of the service (false for develop only)."
  default     = true
}
