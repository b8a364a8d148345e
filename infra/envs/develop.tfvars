# develop: plan on every push to develop; cheap, destroyable, no steady traffic.
# terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=tarmac/develop
# terraform plan -var-file=envs/develop.tfvars -var image_tag=<sha>

project_id           = "tarmac-project"
region               = "us-central1"
bq_location          = "US"
prefix               = "tarmac"
environment          = "develop"
container_repository = "us-central1-docker.pkg.dev/tarmac-project/tarmac-develop"
image_tag            = "latest"

run_deletion_protection = false
force_destroy_buckets   = true

services = {
  ingest  = { max_instances = 3, concurrency = 80, cpu = "1", memory = "512Mi", timeout_seconds = 300 }
  process = { max_instances = 1, concurrency = 250, cpu = "1", memory = "1Gi", timeout_seconds = 600 }
  query   = { max_instances = 3, concurrency = 40, cpu = "1", memory = "512Mi", timeout_seconds = 60 }
}

# One value: process's TARMAC_BATCH_WINDOW_MS and the flush schedule (every 1 min here).
batch_window_ms = 60000

# Consumer tokens: Tarmac tokens minted by `dotnet run --project src/Tarmac.Local -- token` with this
# environment's signing key (secret tarmac-develop-token-signing-key) and TARMAC_TOKEN_ISSUER/AUDIENCE set to
# these values; the gateway fetches the public keys (the `jwks` command's output) from jwt_jwks_uri, published
# by hand (infra/README.md, "Issuing a consumer token"). ingest and query get the same issuer and audience.
jwt_issuer    = "tarmac-develop"
jwt_jwks_uri  = "https://storage.googleapis.com/tarmac-project-tarmac-develop-jwks/jwks.json"
jwt_audiences = ["tarmac-develop-consumers"]

# Empty: develop's alerts open incidents in Cloud Monitoring but notify nobody.
notification_channels     = []
low_traffic_alert_enabled = false

