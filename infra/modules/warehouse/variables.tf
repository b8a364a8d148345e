variable "project_id" {
  type        = string
  description = "Project that owns the dataset."
}

variable "environment" {
  type        = string
  description = "Environment name (develop or master), used in descriptions."
}

variable "dataset_id" {
  type        = string
  description = "BigQuery dataset id (letters, digits and underscores)."

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,1023}$", var.dataset_id))
    error_message = "dataset_id may contain only letters, digits and underscores."
  }
}

variable "location" {
  type        = string
  description = "BigQuery location (US, EU or a region)."
}

variable "labels" {
  type        = map(string)
  description = "Labels for the dataset and tables."
  default     = {}
}

variable "schema_dir" {
  type        = string
  description = "Directory with one BigQuery-format schema JSON file per dataset (<name>.json) and optional <name>.options.json sidecars."
}

variable "table_options" {
  type = map(object({
    partition_column = optional(string)
    cluster_columns  = optional(list(string), [])
  }))
  description = "Fallback partition column (DAY) and clustering per dataset, used when schemas/<name>.options.json does not exist."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.table_options : length(v.cluster_columns) <= 4])
    error_message = "BigQuery allows at most 4 clustering columns."
  }
}

variable "dataset_iam" {
  type = map(object({
    role   = string
    member = string
  }))
  description = "Dataset-level IAM, keyed by a static name."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.dataset_iam : !contains(["allUsers", "allAuthenticatedUsers"], v.member)])
    error_message = "The dataset must never be public."
  }
}

variable "upload_events_iam" {
  type = map(object({
    role   = string
    member = string
  }))
  description = "Table-level IAM on the upload_events ledger, keyed by a static name."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.upload_events_iam : !contains(["allUsers", "allAuthenticatedUsers"], v.member)])
    error_message = "The ledger must never be public."
  }
}
