# BigQuery dataset, one table per repo-root schemas/*.json (plus system
# columns) and the upload_events ledger.

locals {
  # Appended to every dataset table; written by the process service.
  system_columns = [
    { name = "_upload_id", type = "STRING", mode = "REQUIRED", description = "Upload that loaded this row." },
    { name = "_line", type = "INTEGER", mode = "REQUIRED", description = "1-based line number in the uploaded file." },
    { name = "_loaded_at", type = "TIMESTAMP", mode = "REQUIRED", description = "When the row was loaded." },
  ]

  schema_files = [
    for f in fileset(var.schema_dir, "*.json") : f if !endswith(f, ".options.json")
  ]

  tables = {
    for f in local.schema_files : trimsuffix(f, ".json") => {
      fields  = jsondecode(file("${var.schema_dir}/${f}"))
      sidecar = "${var.schema_dir}/${trimsuffix(f, ".json")}.options.json"
    }
  }

  # Partitioning and clustering: the optional sidecar schemas/<name>.options.json
  # wins; otherwise var.table_options[<name>]; otherwise none.
  table_options = {
    for name, t in local.tables : name => {
      partition_column = (
        fileexists(t.sidecar)
        ? try(jsondecode(file(t.sidecar)).partition_column, null)
        : try(var.table_options[name].partition_column, null)
      )
      cluster_columns = (
        fileexists(t.sidecar)
        ? try(tolist(jsondecode(file(t.sidecar)).cluster_columns), tolist([]))
        : try(tolist(var.table_options[name].cluster_columns), tolist([]))
      )
    }
  }
}

resource "google_bigquery_dataset" "this" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  friendly_name              = var.dataset_id
  description                = "Tarmac ${var.environment}: flight records and the upload ledger."
  location                   = var.location
  labels                     = var.labels
  delete_contents_on_destroy = false
  max_time_travel_hours      = "168"
}

resource "google_bigquery_table" "dataset" {
  for_each = local.tables

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.this.dataset_id
  table_id            = each.key
  description         = "Rows of dataset '${each.key}' (schemas/${each.key}.json + system columns)."
  labels              = var.labels
  deletion_protection = true
  schema              = jsonencode(concat(each.value.fields, local.system_columns))
  clustering          = length(local.table_options[each.key].cluster_columns) > 0 ? local.table_options[each.key].cluster_columns : null

  dynamic "time_partitioning" {
    for_each = local.table_options[each.key].partition_column == null ? [] : [local.table_options[each.key].partition_column]
    content {
      type  = "DAY"
      field = time_partitioning.value
    }
  }

  lifecycle {
    precondition {
      condition = alltrue([
        for c in concat(
          local.table_options[each.key].partition_column == null ? [] : [local.table_options[each.key].partition_column],
          local.table_options[each.key].cluster_columns,
        ) : contains([for f in each.value.fields : f.name], c)
      ])
      error_message = "Partition and cluster columns of table ${each.key} must be columns of schemas/${each.key}.json."
    }
  }
}

resource "google_bigquery_table" "upload_events" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.this.dataset_id
  table_id            = "upload_events"
  description         = "Upload ledger: one row per upload state change (stored, loaded, partially_loaded, rejected, failed)."
  labels              = var.labels
  deletion_protection = true
  schema              = file("${path.module}/../../schemas/upload_events.json")
  clustering          = ["dataset", "upload_id"]

  time_partitioning {
    type  = "DAY"
    field = "at"
  }

  lifecycle {
    precondition {
      condition     = !contains(keys(local.tables), "upload_events")
      error_message = "schemas/upload_events.json at the repo root would collide with the ledger table."
    }
  }
}

resource "google_bigquery_dataset_iam_member" "this" {
  for_each = var.dataset_iam

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this.dataset_id
  role       = each.value.role
  member     = each.value.member
}

resource "google_bigquery_table_iam_member" "upload_events" {
  for_each = var.upload_events_iam

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this.dataset_id
  table_id   = google_bigquery_table.upload_events.table_id
  role       = each.value.role
  member     = each.value.member
}
