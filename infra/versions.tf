# Terraform and provider requirements for the Tarmac root module.
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
      version = "~> 6.50"
    }
    # API Gateway resources exist only in google-beta.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.50"
    }
  }

  backend "gcs" {}
}
