variable "project_id" {
  type        = string
  description = "Project that owns the service accounts."
}

variable "name" {
  type        = string
  description = "Name prefix (<prefix>-<environment>); account ids are <name>-<key>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,21}$", var.name))
    error_message = "name must be 3-22 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "accounts" {
  type        = map(string)
  description = "Service accounts to create: key = short name (account id suffix), value = description."

  validation {
    condition     = alltrue([for k, v in var.accounts : can(regex("^[a-z][a-z0-9-]{1,7}$", k))])
    error_message = "account keys must be 2-8 lowercase letters, digits or hyphens so that account ids stay within 30 characters."
  }
}
