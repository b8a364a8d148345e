# ---------------------------------------------------------------------------
# TARMAC_CURSOR_KEY: the HMAC key of query's page cursors, one secret per
# environment. Every query instance must hold the same key (a cursor from one
# instance is read by another), so it cannot be made per instance; without it
# query refuses to start on Cloud Run (CursorKeys in Tarmac.ServiceDefaults).
#
# The value is generated here (random_bytes) and therefore lands in this
# environment's Terraform state and in the saved plan (both private: the
# state bucket and the artifacts bucket grant no public or project-wide object
# access). See docs/security.md.
#
# Rotation: raise cursor_key_generation and apply. That makes new random bytes,
# a new secret version (the old one is destroyed) and a new query revision
# pinned to it; cursors signed with the old key then fail their check and the
# client gets the documented 400 for a bad cursor, and restarts its walk
# without a cursor.
# ---------------------------------------------------------------------------

resource "google_secret_manager_secret" "cursor_key" {
  project   = var.project_id
  secret_id = "${local.name}-cursor-key"
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "random_bytes" "cursor_key" {
  length = 32

  keepers = {
    generation = tostring(var.cursor_key_generation)
  }
}

resource "google_secret_manager_secret_version" "cursor_key" {
  secret      = google_secret_manager_secret.cursor_key.id
  secret_data = random_bytes.cursor_key.base64
}

# Only query reads the key, and only this secret (not project-wide).
resource "google_secret_manager_secret_iam_member" "cursor_key_query" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.cursor_key.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.member["query"]
}

# develop only: the planner's `terraform plan` refreshes the secret version,
# and the provider reads the payload back to do so (GET <version>:access in
# flattenSecretManagerSecretVersionPayload,
# https://github.com/hashicorp/terraform-provider-google/blob/main/google/services/secretmanager/resource_secret_manager_secret_version.go),
# so it needs access to this one secret. It gains nothing by it: the same value is in develop's state,
# which it reads to plan anyway. master's deployer reads master's through its
# own roles; the planner can never read master's (a different secret, and
# master's state is outside its prefix).
resource "google_secret_manager_secret_iam_member" "cursor_key_planner" {
  count = var.cicd_enabled && !local.pipeline_applies ? 1 : 0

  project   = var.project_id
  secret_id = google_secret_manager_secret.cursor_key.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${local.pipeline_email}"
}

# ---------------------------------------------------------------------------
# The consumer-token signing key (RSA, PEM) of this environment: the secret
# only. Its versions are added by an operator (infra/README.md, "Issuing a
# consumer token"), never by Terraform, so the private key is in no state or
# plan. No service reads it (ingest and query trust the gateway's check of the
# signature and re-check the claims), so nothing is granted on it: project
# owners, who mint tokens, read it through their own roles.
# ---------------------------------------------------------------------------

resource "google_secret_manager_secret" "token_signing_key" {
  project   = var.project_id
  secret_id = "${local.name}-token-signing-key"
  labels    = local.labels

  replication {
    auto {}
  }
}
