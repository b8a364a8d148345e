# Raw-upload bucket (private, versioned, tiered by age) and artifacts bucket
# (<function>-<branch>.zip), with bucket-level IAM supplied by the caller.

locals {
  raw_name       = "${var.project_id}-${var.name}-raw"
  artifacts_name = "${var.project_id}-${var.name}-artifacts"
}

resource "google_storage_bucket" "raw" {
  project                     = var.project_id
  name                        = local.raw_name
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_retention_seconds
  }

  # Staged NDJSON (staging/) is kept a week after its load job (to reload or
  # inquire), then deleted.
  lifecycle_rule {
    condition {
      age            = var.staged_retention_days
      matches_prefix = ["staging/"]
    }
    action {
      type = "Delete"
    }
  }

  # Raw uploads move to colder classes as they age.
  lifecycle_rule {
    condition {
      age                   = var.nearline_after_days
      matches_prefix        = ["raw/"]
      matches_storage_class = ["STANDARD"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age                   = var.coldline_after_days
      matches_prefix        = ["raw/"]
      matches_storage_class = ["NEARLINE"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }

  lifecycle_rule {
    condition {
      age                   = var.archive_after_days
      matches_prefix        = ["raw/"]
      matches_storage_class = ["COLDLINE"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "ARCHIVE"
    }
  }

  # State objects are overwritten on every status change (compare-and-set);
  # their old versions are of no use after a day.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 1
      matches_prefix             = ["state/"]
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # Uploads and claims are create-only; noncurrent versions only appear on deletes.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = local.artifacts_name
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_retention_seconds
  }

  # <function>-<branch>.zip is overwritten on every build; keep a few old ones.
  lifecycle_rule {
    condition {
      num_newer_versions = 5
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

# Grants with `prefixes` carry an IAM condition on the object name, so a role
# applies only to objects under those prefixes (IAM Conditions on Cloud Storage
# need uniform bucket-level access, which this bucket has):
# https://cloud.google.com/storage/docs/access-control/iam#conditions
# https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name
# Bucket-level permissions (storage.objects.list, storage.buckets.get) are
# checked against the bucket's name, never an object's, so a prefix condition
# never grants them.
resource "google_storage_bucket_iam_member" "raw" {
  for_each = var.raw_iam

  bucket = google_storage_bucket.raw.name
  role   = each.value.role
  member = each.value.member

  dynamic "condition" {
    for_each = length(each.value.prefixes) > 0 ? [each.value.prefixes] : []
    content {
      title       = substr(coalesce(each.value.condition, "objects under ${join(", ", condition.value)}"), 0, 100)
      description = "Only objects under ${join(", ", condition.value)}."
      expression  = join(" || ", [for p in condition.value : "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.raw.name}/objects/${p}\")"])
    }
  }
}

resource "google_storage_bucket_iam_member" "artifacts" {
  for_each = var.artifacts_iam

  bucket = google_storage_bucket.artifacts.name
  role   = each.value.role
  member = each.value.member
}
