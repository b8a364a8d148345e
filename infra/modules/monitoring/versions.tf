# The root module pins the versions (infra/versions.tf); this only names the
# providers the module uses besides google.
terraform {
  required_providers {
    google = {
      source = "hashicorp/google"
    }
    time = {
      source = "hashicorp/time"
    }
  }
}
