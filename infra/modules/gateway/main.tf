# API Gateway (google-beta only): API, config rendered from the OpenAPI
# template, and the regional gateway. The config id changes with the spec so
# a new config is created before the old one is destroyed.

locals {
  spec = templatefile("${path.module}/openapi.yaml.tftpl", {
    title                   = var.name
    environment             = var.environment
    ingest_url              = var.ingest_url
    query_url               = var.query_url
    jwt_issuer              = var.jwt_issuer
    jwt_jwks_uri            = var.jwt_jwks_uri
    jwt_audiences           = join(",", var.jwt_audiences)
    service_token_audiences = join(",", var.service_token_audiences)
    upload_deadline         = format("%.1f", var.upload_deadline_seconds)
    query_deadline          = format("%.1f", var.query_deadline_seconds)
  })
}

resource "google_api_gateway_api" "this" {
  provider = google-beta

  project      = var.project_id
  api_id       = var.name
  display_name = var.name
  labels       = var.labels
}

resource "google_api_gateway_api_config" "this" {
  provider = google-beta

  project       = var.project_id
  api           = google_api_gateway_api.this.api_id
  api_config_id = "${var.name}-${substr(sha256(local.spec), 0, 8)}"
  display_name  = "${var.name} ${substr(sha256(local.spec), 0, 8)}"
  labels        = var.labels

  openapi_documents {
    document {
      path     = "openapi.yaml"
      contents = base64encode(local.spec)
    }
  }

  gateway_config {
    backend_config {
      google_service_account = var.service_account_email
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "this" {
  provider = google-beta

  project      = var.project_id
  region       = var.region
  gateway_id   = var.name
  display_name = var.name
  api_config   = google_api_gateway_api_config.this.id
  labels       = var.labels
}
