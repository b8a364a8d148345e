variable "project_id" {
  type        = string
  description = "Project that hosts the API Gateway."
}

variable "name" {
  type        = string
  description = "API and gateway id (<prefix>-<environment>); config ids are <name>-<spec hash>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  type        = string
  description = "Environment name shown in the spec description."
}

variable "region" {
  type        = string
  description = "Gateway region (API Gateway supports a subset of regions, e.g. us-central1, us-east1, europe-west1, asia-northeast1)."
}

variable "labels" {
  type        = map(string)
  description = "Labels for the API, config and gateway."
  default     = {}
}

variable "service_account_email" {
  type        = string
  description = "Gateway service account; it signs the ID tokens sent to the Cloud Run backends and must hold run.invoker on them."
}

variable "ingest_url" {
  type        = string
  description = "URL of the ingest Cloud Run service (backend address and jwt_audience)."
}

variable "query_url" {
  type        = string
  description = "URL of the query Cloud Run service (backend address and jwt_audience)."
}

variable "jwt_issuer" {
  type        = string
  description = "Issuer (iss) of the client JWTs the gateway accepts."

  validation {
    condition     = length(var.jwt_issuer) > 0
    error_message = "jwt_issuer must not be empty: every route requires a JWT."
  }
}

variable "jwt_jwks_uri" {
  type        = string
  description = "JWKS URL with the issuer's public keys."

  validation {
    condition     = startswith(var.jwt_jwks_uri, "https://")
    error_message = "jwt_jwks_uri must be an https:// URL."
  }
}

variable "jwt_audiences" {
  type        = list(string)
  description = "Accepted aud values of client JWTs."

  validation {
    condition     = length(var.jwt_audiences) > 0 && alltrue([for a in var.jwt_audiences : length(a) > 0 && !strcontains(a, ",")])
    error_message = "jwt_audiences must hold at least one non-empty audience without commas."
  }
}

variable "upload_deadline_seconds" {
  type        = number
  description = "Backend deadline for upload routes (seconds)."
  default     = 300

  validation {
    condition     = var.upload_deadline_seconds > 0 && var.upload_deadline_seconds <= 3600
    error_message = "upload_deadline_seconds must be in (0, 3600]."
  }
}

variable "query_deadline_seconds" {
  type        = number
  description = "Backend deadline for query and status routes (seconds)."
  default     = 60

  validation {
    condition     = var.query_deadline_seconds > 0 && var.query_deadline_seconds <= 3600
    error_message = "query_deadline_seconds must be in (0, 3600]."
  }
}

variable "service_token_audiences" {
  description = "Audiences accepted in Google-signed service-account ID tokens (issuer https://accounts.google.com), e.g. the CD pipeline's integration tests."
  type        = list(string)
  validation {
    condition     = length(var.service_token_audiences) > 0 && alltrue([for a in var.service_token_audiences : length(a) > 0 && !strcontains(a, ",")])
    error_message = "service_token_audiences must hold at least one non-empty audience without commas."
  }
}
