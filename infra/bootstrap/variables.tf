variable "project_id" {
  type        = string
  description = "Google Cloud project id (the same as infra/)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be 6-30 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "region" {
  type        = string
  description = "Region passed to the pipeline as _REGION (the same as infra/)."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1."
  }
}

variable "prefix" {
  type        = string
  description = "Name prefix (the same as infra/); the deployer is <prefix>-<environment>-deployer."
  default     = "tarmac"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-13 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "environment" {
  type        = string
  description = "Environment and branch: develop (ci.yaml, plan, read-only planner) or master (cd.yaml, apply, deployer)."

  validation {
    condition     = contains(["develop", "master"], var.environment)
    error_message = "environment must be develop or master."
  }
}

variable "container_repository" {
  type        = string
  description = "Artifact Registry docker repository <location>-docker.pkg.dev/<project>/<repository> the trigger's identity pushes to (created by hand, see infra/README.md): master's repository in master, a repository of develop's own in develop (never master's: a develop build must not be able to overwrite an image master deploys)."

  validation {
    condition     = can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z0-9][a-z0-9_.-]*$", var.container_repository))
    error_message = "container_repository must look like <location>-docker.pkg.dev/<project>/<repository>."
  }
}

variable "github_owner" {
  type        = string
  description = "GitHub owner (user or organisation) of the repository connected to Cloud Build."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}$", var.github_owner))
    error_message = "github_owner must be a valid GitHub user or organisation name."
  }
}

variable "github_repo" {
  type        = string
  description = "GitHub repository name connected to Cloud Build."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.github_repo))
    error_message = "github_repo must be a valid GitHub repository name."
  }
}

variable "tf_state_bucket" {
  type        = string
  description = "GCS bucket holding Terraform state (created by hand): the deployer gets object admin on it, the planner read access to tarmac/<environment>/ only; the pipeline gets it as _TF_STATE_BUCKET."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.tf_state_bucket))
    error_message = "tf_state_bucket must be a valid bucket name."
  }
}

variable "apis" {
  type        = list(string)
  description = "Service APIs infra/ uses, enabled here (never disabled on destroy)."
  default = [
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicecontrol.googleapis.com",
    "servicemanagement.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ]

  validation {
    condition     = alltrue([for a in var.apis : endswith(a, ".googleapis.com")]) && contains(var.apis, "cloudscheduler.googleapis.com") && contains(var.apis, "secretmanager.googleapis.com")
    error_message = "apis must be service names ending in .googleapis.com and include cloudscheduler.googleapis.com (flush and sweep jobs) and secretmanager.googleapis.com (TARMAC_CURSOR_KEY)."
  }
}

variable "manage_identity_platform" {
  type        = bool
  description = "Whether this environment's bootstrap owns the project's Identity Platform config (one per project, never deleted): true in exactly one environment of a shared project."
  default     = true
}
