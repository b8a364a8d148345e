# Terraform and provider requirements of the bootstrap root (CI/CD identity).
# Same exact provider version as infra/versions.tf; .terraform.lock.hcl here
# records its hashes. Separate state, one per environment:
#
#   terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=tarmac/bootstrap-develop

terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
  }

  backend "gcs" {}
}
