variable "project_id" {
  type        = string
  description = "Project that owns the buckets; also prefixes the bucket names for global uniqueness."
}

variable "name" {
  type        = string
  description = "Name prefix (<prefix>-<environment>); buckets are <project>-<name>-raw and <project>-<name>-artifacts."
}

variable "location" {
  type        = string
  description = "Bucket location (a region such as us-central1, or a multi-region such as US)."
}

variable "labels" {
  type        = map(string)
  description = "Labels applied to both buckets."
  default     = {}
}

variable "force_destroy" {
  type        = bool
  description = "Allow terraform destroy to delete non-empty buckets (develop only)."
  default     = false
}

variable "soft_delete_retention_seconds" {
  type        = number
  description = "Soft delete retention in seconds (0 disables; otherwise 7 to 90 days)."
  default     = 604800

  validation {
    condition     = var.soft_delete_retention_seconds == 0 || (var.soft_delete_retention_seconds >= 604800 && var.soft_delete_retention_seconds <= 7776000)
    error_message = "soft_delete_retention_seconds must be 0 or between 604800 (7 days) and 7776000 (90 days)."
  }
}

variable "staged_retention_days" {
  type        = number
  description = "Days after which staged NDJSON under staging/ is deleted (kept that long for a reload or an inquiry)."
  default     = 7

  validation {
    condition     = var.staged_retention_days >= 1
    error_message = "staged_retention_days must be at least 1."
  }
}

variable "nearline_after_days" {
  type        = number
  description = "Age in days at which raw/ objects move to NEARLINE."
  default     = 30

  validation {
    condition     = var.nearline_after_days >= 1
    error_message = "nearline_after_days must be at least 1."
  }
}

variable "coldline_after_days" {
  type        = number
  description = "Age in days at which raw/ objects move to COLDLINE (after NEARLINE's 30-day minimum)."
  default     = 90

  validation {
    condition     = var.coldline_after_days >= 60
    error_message = "coldline_after_days must be at least 60 so NEARLINE's 30-day minimum storage duration is honoured."
  }
}

variable "archive_after_days" {
  type        = number
  description = "Age in days at which raw/ objects move to ARCHIVE."
  default     = 365

  validation {
    condition     = var.archive_after_days >= 180
    error_message = "archive_after_days must be at least 180 so COLDLINE's 90-day minimum storage duration is honoured."
  }
}

variable "noncurrent_retention_days" {
  type        = number
  description = "Days a noncurrent (overwritten or deleted) object version is kept."
  default     = 30

  validation {
    condition     = var.noncurrent_retention_days >= 1
    error_message = "noncurrent_retention_days must be at least 1."
  }
}

variable "raw_iam" {
  type = map(object({
    role      = string
    member    = string
    prefixes  = optional(list(string), [])
    condition = optional(string)
  }))
  description = "IAM on the raw bucket; static keys. With prefixes the grant is conditional on the object name starting with one of them (condition = its title), e.g. { ingest_create = { role = \"roles/storage.objectCreator\", member = \"serviceAccount:...\", prefixes = [\"raw/\"] } }."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.raw_iam : !contains(["allUsers", "allAuthenticatedUsers"], v.member)])
    error_message = "The raw bucket must never be public."
  }

  validation {
    condition     = alltrue(flatten([for k, v in var.raw_iam : [for p in v.prefixes : can(regex("^[a-z]+/$", p))]]))
    error_message = "raw_iam prefixes must be top-level folders such as \"raw/\" (lowercase letters and a trailing slash)."
  }
}

variable "artifacts_iam" {
  type = map(object({
    role   = string
    member = string
  }))
  description = "Bucket-level IAM on the artifacts bucket, keyed by a static name."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.artifacts_iam : !contains(["allUsers", "allAuthenticatedUsers"], v.member)])
    error_message = "The artifacts bucket must never be public."
  }
}
