variable "project_id" {
  type        = string
  description = "Project that hosts the pipeline and the deployed system."
}

variable "name" {
  type        = string
  description = "Name prefix (<prefix>-<environment>)."
}

variable "environment" {
  type        = string
  description = "Environment; also the branch that triggers the pipeline (develop -> ci.yaml, master -> cd.yaml)."

  validation {
    condition     = contains(["develop", "master"], var.environment)
    error_message = "environment must be develop or master."
  }
}

variable "region" {
  type        = string
  description = "Region passed to the build as _REGION."
}

variable "github_owner" {
  type        = string
  description = "GitHub owner of the repository connected to Cloud Build (GitHub app connection made at bootstrap)."
}

variable "github_repo" {
  type        = string
  description = "GitHub repository name."
}

variable "container_repository" {
  type        = string
  description = "Artifact Registry docker repository <location>-docker.pkg.dev/<project>/<repository> (created at bootstrap)."

  validation {
    condition     = length(split("/", var.container_repository)) == 3 && endswith(split("/", var.container_repository)[0], "-docker.pkg.dev")
    error_message = "container_repository must look like <location>-docker.pkg.dev/<project>/<repository>."
  }
}

variable "artifacts_bucket" {
  type        = string
  description = "Bucket for <function>-<branch>.zip artifacts (_ARTIFACTS_BUCKET), created by infra/ (<project>-<name>-artifacts); the deployer's access to it is granted there."
}

variable "tf_state_bucket" {
  type        = string
  description = "Terraform state bucket (_TF_STATE_BUCKET), created at bootstrap."
}

variable "gateway_url" {
  type        = string
  description = "Gateway base URL for the integration test (_GATEWAY_URL, master only); empty = the pipeline uses infra/'s gateway_url output."
  default     = ""
}

variable "deployer_project_roles" {
  type        = list(string)
  description = "Predefined project roles of the deployer (master only): exactly what terraform apply of infra/ and the image push need."
  default = [
    "roles/apigateway.admin",
    "roles/bigquery.dataOwner",
    "roles/browser",
    "roles/cloudscheduler.admin",
    "roles/cloudbuild.builds.editor",
    "roles/iam.roleViewer",
    "roles/iam.serviceAccountAdmin",
    "roles/logging.configWriter",
    "roles/logging.logWriter",
    "roles/monitoring.alertPolicyEditor",
    "roles/monitoring.dashboardEditor",
    "roles/monitoring.servicesEditor",
    "roles/pubsub.admin",
    "roles/run.admin",
    "roles/secretmanager.admin",
    "roles/serviceusage.serviceUsageConsumer",
  ]

  validation {
    condition     = length(setintersection(var.deployer_project_roles, ["roles/owner", "roles/editor", "roles/viewer"])) == 0
    error_message = "Basic roles (owner, editor, viewer) are not allowed for the deployer."
  }
}

variable "planner_project_roles" {
  type        = list(string)
  description = "Predefined project roles of the planner (develop only): read-only, what terraform plan of infra/ refreshes, plus writing its own build logs."
  default = [
    "roles/apigateway.viewer",
    "roles/bigquery.metadataViewer",
    "roles/browser",
    "roles/cloudscheduler.viewer",
    "roles/iam.securityReviewer",
    "roles/iam.serviceAccountViewer",
    # Build logs: a build running as a user-managed service account with
    # options.logging CLOUD_LOGGING_ONLY writes its log as that account.
    # https://cloud.google.com/build/docs/securing-builds/configure-user-specified-service-accounts
    "roles/logging.logWriter",
    "roles/monitoring.viewer",
    "roles/pubsub.viewer",
    "roles/run.viewer",
    "roles/secretmanager.viewer",
    "roles/serviceusage.serviceUsageConsumer",
  ]

  # Read-only: viewers, reviewers and metadata readers, plus the two
  # non-resource roles (build logs, API use). Never admin, editor, owner,
  # writer, user, creator, invoker or IAM roles that change anything.
  validation {
    condition = alltrue([for r in var.planner_project_roles : (
      can(regex("^roles/[A-Za-z.]+\\.([A-Za-z]*[vV]iewer|securityReviewer)$", r))
      || contains(["roles/browser", "roles/logging.logWriter", "roles/serviceusage.serviceUsageConsumer"], r)
    )])
    error_message = "planner_project_roles may hold only read-only roles (*.viewer, *Viewer, iam.securityReviewer, browser) plus logging.logWriter and serviceusage.serviceUsageConsumer."
  }

  validation {
    condition     = length(setintersection(var.planner_project_roles, ["roles/owner", "roles/editor", "roles/viewer"])) == 0
    error_message = "Basic roles (owner, editor, viewer) are not allowed for the planner."
  }
}
