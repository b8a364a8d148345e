# master: apply + integration test on every push to master.
# terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=tarmac/master
# terraform apply -var-file=envs/master.tfvars -var image_tag=<sha>

project_id           = "tarmac-project"
region               = "us-central1"
bq_location          = "US"
prefix               = "tarmac"
environment          = "master"
container_repository = "us-central1-docker.pkg.dev/tarmac-project/tarmac"
image_tag            = "latest"

run_deletion_protection = true
force_destroy_buckets   = false

# One value: process's TARMAC_BATCH_WINDOW_MS and the flush schedule (every 3 min);
# the CD pipeline reads it back (output batch_window_ms) to size its wait.
batch_window_ms = 180000

# Consumer tokens: Tarmac tokens minted by `dotnet run --project src/Tarmac.Local -- token` with this
# environment's signing key (secret tarmac-master-token-signing-key) and TARMAC_TOKEN_ISSUER/AUDIENCE set to
# these values; the gateway fetches the public keys (the `jwks` command's output) from jwt_jwks_uri, published
# by hand (infra/README.md, "Issuing a consumer token"). ingest and query get the same issuer and audience.
jwt_issuer    = "tarmac-master"
jwt_jwks_uri  = "https://storage.googleapis.com/tarmac-project-tarmac-master-jwks/jwks.json"
jwt_audiences = ["tarmac-master-consumers"]

# projects/<project>/notificationChannels/<id>, created outside Terraform (on-call email, pager;
# see infra/README.md, bootstrap step 6). Required in master: the plan fails while this is empty.
notification_channels     = []
low_traffic_alert_enabled = true

# Seed thresholds (Parte 5).
post_rate_high_per_hour    = 600
post_rate_low_per_hour     = 400
error_ratio_threshold      = 0.01
post_latency_p95_ms        = 300
oldest_unacked_max_seconds = 600

