# Object-finalized events: GCS notification (raw/ prefix) -> topic -> push
# subscription (OIDC) to the process service, with a dead-letter topic.

data "google_project" "this" {
  project_id = var.project_id
}

data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "objects" {
  project                    = var.project_id
  name                       = "${var.name}-raw-objects"
  labels                     = var.labels
  message_retention_duration = var.message_retention
}

resource "google_pubsub_topic" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name}-raw-objects-dead-letter"
  labels                     = var.labels
  message_retention_duration = var.message_retention
}

# The GCS service agent publishes the notifications.
resource "google_pubsub_topic_iam_member" "gcs_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.objects.name
  role    = "roles/pubsub.publisher"
  member  = data.google_storage_project_service_account.gcs.member
}

resource "google_storage_notification" "raw_finalized" {
  bucket             = var.bucket
  topic              = google_pubsub_topic.objects.id
  payload_format     = "JSON_API_V1"
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = var.object_prefix

  depends_on = [google_pubsub_topic_iam_member.gcs_publisher]
}

resource "google_pubsub_subscription" "process" {
  project                    = var.project_id
  name                       = "${var.name}-process-push"
  topic                      = google_pubsub_topic.objects.id
  labels                     = var.labels
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = var.message_retention
  retain_acked_messages      = false

  push_config {
    push_endpoint = var.push_endpoint

    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.push_audience
    }
  }

  retry_policy {
    minimum_backoff = var.retry_minimum_backoff
    maximum_backoff = var.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Never expire for inactivity.
  expiration_policy {
    ttl = ""
  }
}

# Messages that exhausted their delivery attempts: an audit copy an operator
# can pull (process never acks here; retention bounds it).
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name}-raw-objects-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = var.labels
  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention

  expiration_policy {
    ttl = ""
  }
}

# The same dead letters for process's POST /sweep, which pulls them over the
# Pub/Sub REST API, drives each upload again and acks. No dead-letter policy:
# a message the sweep cannot finish stays here, and the sweep-backlog alert
# fires.
resource "google_pubsub_subscription" "dead_letter_sweep" {
  project                    = var.project_id
  name                       = var.dead_letter_sweep_subscription_name
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = var.labels
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = var.message_retention
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }
}

# process pulls and acks on exactly this subscription.
resource "google_pubsub_subscription_iam_member" "dead_letter_sweep" {
  project      = var.project_id
  subscription = google_pubsub_subscription.dead_letter_sweep.name
  role         = "roles/pubsub.subscriber"
  member       = var.dead_letter_sweep_member
}

# The Pub/Sub service agent forwards undeliverable messages: it must publish
# to the dead-letter topic and acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "source_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.process.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Projects created before April 2021 need this for OIDC push tokens; it is
# scoped to the push service account only.
resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = var.push_service_account_id
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}
