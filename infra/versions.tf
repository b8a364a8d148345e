# Terraform and provider requirements for the Tarmac root module.
#
# Providers are pinned to exact versions and .terraform.lock.hcl (committed
# next to this file) records their hashes, so every `terraform init` installs
# the same builds. google 6.50.0 is also the schema tfcheck validates against
# (../shared/tools/tfcheck). To upgrade: change the versions here and in
# bootstrap/versions.tf, run `terraform init -upgrade` in both roots and
# commit both lock files.
#
# The GCS backend is configured partially: the bucket and a per-environment
# prefix are passed at init time, so develop and master keep separate state in
# one bucket:
#
#   terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=tarmac/develop

terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    # API Gateway resources exist only in google-beta.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.50.0"
    }
    # time_sleep: waits for log-based metrics before alert policies use them.
    time = {
      source  = "hashicorp/time"
      version = "0.13.1"
    }
    # random_bytes: the initial TARMAC_CURSOR_KEY of each environment.
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
  }

  backend "gcs" {}
}
