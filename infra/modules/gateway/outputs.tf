output "gateway_id" {
  description = "Gateway id (label gateway_id of apigateway.googleapis.com/Gateway metrics)."
  value       = google_api_gateway_gateway.this.gateway_id
}

output "default_hostname" {
  description = "Default hostname of the gateway (no scheme)."
  value       = google_api_gateway_gateway.this.default_hostname
}

output "url" {
  description = "https:// base URL of the gateway."
  value       = "https://${google_api_gateway_gateway.this.default_hostname}"
}

output "api_config_id" {
  description = "Active API config id (changes with the spec hash)."
  value       = google_api_gateway_api_config.this.api_config_id
}

output "managed_service" {
  description = "Managed service name created for the API."
  value       = google_api_gateway_api.this.managed_service
}

output "spec" {
  description = "Rendered OpenAPI document."
  value       = local.spec
}
