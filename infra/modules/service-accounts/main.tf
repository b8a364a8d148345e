# One service account per runtime identity. No roles are granted here: every
# grant is made by the caller on the narrowest resource that needs it.

resource "google_service_account" "this" {
  for_each = var.accounts

  project      = var.project_id
  account_id   = "${var.name}-${each.key}"
  display_name = "${var.name} ${each.key}"
  description  = each.value
}
