# Dashboard for seed Parte 4: Cloud Run latency/errors/cold starts, bucket
# objects and bytes, object-created events, API Gateway traffic/latency/4xx/5xx,
# Pub/Sub backlog and dead letters, rows loaded/rejected, POST SLO signals.

locals {
  # Metric types checked against Google's metrics list:
  # https://cloud.google.com/monitoring/api/metrics_gcp (Cloud Run run.googleapis.com/*,
  # Cloud Storage storage.googleapis.com/storage/*, Pub/Sub pubsub.googleapis.com/*
  # (topic/send_message_operation_count is deprecated there; send_request_count replaces it),
  # API Gateway apigateway.googleapis.com/proxy/* on resource apigateway.googleapis.com/Gateway;
  # proxy/latencies is not verified against the list page, see README.md).
  run_filter       = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=one_of(${local.services_one_of})"
  gateway_filter   = "resource.type=\"apigateway.googleapis.com/Gateway\" AND resource.label.gateway_id=\"${var.gateway_id}\""
  bucket_filter    = "resource.type=\"gcs_bucket\" AND resource.label.bucket_name=\"${var.raw_bucket}\""
  topic_filter     = "resource.type=\"pubsub_topic\" AND resource.label.topic_id=\"${var.topic_name}\""
  push_sub_filter  = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.subscription_name}\""
  dlq_sub_filter   = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.dead_letter_subscription_name}\""
  sweep_sub_filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.sweep_subscription_name}\""

  percentiles = { p50 = "REDUCE_PERCENTILE_50", p95 = "REDUCE_PERCENTILE_95", p99 = "REDUCE_PERCENTILE_99" }

  widgets = [
    {
      title = "Cloud Run request latency p50 / p95 / p99 (ms)"
      xyChart = {
        dataSets = [for p, reducer in local.percentiles : {
          plotType       = "LINE"
          legendTemplate = "${p} $${resource.labels.service_name}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.run_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = reducer
                groupByFields      = ["resource.label.service_name"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Cloud Run error rate (5xx / all requests) per service"
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilterRatio = {
              numerator = {
                filter = "metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\" AND ${local.run_filter}"
                aggregation = {
                  alignmentPeriod    = "300s"
                  perSeriesAligner   = "ALIGN_RATE"
                  crossSeriesReducer = "REDUCE_SUM"
                  groupByFields      = ["resource.label.service_name"]
                }
              }
              denominator = {
                filter = "metric.type=\"run.googleapis.com/request_count\" AND ${local.run_filter}"
                aggregation = {
                  alignmentPeriod    = "300s"
                  perSeriesAligner   = "ALIGN_RATE"
                  crossSeriesReducer = "REDUCE_SUM"
                  groupByFields      = ["resource.label.service_name"]
                }
              }
            }
          }
        }]
        thresholds = [{ value = var.error_ratio_threshold, label = "alert" }]
      }
    },
    {
      title = "Cloud Run requests by service and response class (/s)"
      xyChart = {
        dataSets = [{
          plotType = "STACKED_BAR"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"run.googleapis.com/request_count\" AND ${local.run_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_RATE"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["resource.label.service_name", "metric.label.response_code_class"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Cold starts: container startup latency p50 / p95 / p99 (ms)"
      xyChart = {
        dataSets = [for p, reducer in local.percentiles : {
          plotType       = "LINE"
          legendTemplate = "${p} $${resource.labels.service_name}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"run.googleapis.com/container/startup_latencies\" AND ${local.run_filter}"
              aggregation = {
                alignmentPeriod    = "300s"
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = reducer
                groupByFields      = ["resource.label.service_name"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Cloud Run instances by service"
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"run.googleapis.com/container/instance_count\" AND ${local.run_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_MAX"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["resource.label.service_name", "metric.label.state"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Raw bucket: object count"
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"storage.googleapis.com/storage/object_count\" AND ${local.bucket_filter}"
              aggregation = {
                alignmentPeriod    = "300s"
                perSeriesAligner   = "ALIGN_MEAN"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.label.storage_class"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Raw bucket: total bytes"
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"storage.googleapis.com/storage/total_bytes\" AND ${local.bucket_filter}"
              aggregation = {
                alignmentPeriod    = "300s"
                perSeriesAligner   = "ALIGN_MEAN"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.label.storage_class"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Object-created events published (raw/ OBJECT_FINALIZE, per minute)"
      xyChart = {
        dataSets = [{
          plotType = "STACKED_BAR"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"pubsub.googleapis.com/topic/send_request_count\" AND ${local.topic_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_SUM"
                crossSeriesReducer = "REDUCE_SUM"
              }
            }
          }
        }]
      }
    },
    {
      title = "API Gateway requests by response class (/s)"
      xyChart = {
        dataSets = [{
          plotType = "STACKED_BAR"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"apigateway.googleapis.com/proxy/request_count\" AND ${local.gateway_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_RATE"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.label.response_code_class"]
              }
            }
          }
        }]
      }
    },
    {
      title = "API Gateway latency p50 / p95 / p99 (ms)"
      xyChart = {
        dataSets = [for p, reducer in local.percentiles : {
          plotType       = "LINE"
          legendTemplate = p
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"apigateway.googleapis.com/proxy/latencies\" AND ${local.gateway_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = reducer
              }
            }
          }
        }]
      }
    },
    {
      title = "API Gateway 4xx and 5xx (per minute)"
      xyChart = {
        dataSets = [for class in ["4xx", "5xx"] : {
          plotType       = "LINE"
          legendTemplate = class
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"apigateway.googleapis.com/proxy/request_count\" AND metric.label.response_code_class=\"${class}\" AND ${local.gateway_filter}"
              aggregation = {
                alignmentPeriod    = "60s"
                perSeriesAligner   = "ALIGN_SUM"
                crossSeriesReducer = "REDUCE_SUM"
              }
            }
          }
        }]
      }
    },
    {
      title = "Pub/Sub oldest unacked message age (s)"
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.push_sub_filter}"
              aggregation = {
                alignmentPeriod  = "60s"
                perSeriesAligner = "ALIGN_MAX"
              }
            }
          }
        }]
        thresholds = [{ value = var.oldest_unacked_max_seconds, label = "alert" }]
      }
    },
    {
      title = "Dead letters: forwarded per minute and waiting in the dead-letter subscription"
      xyChart = {
        dataSets = [
          {
            plotType       = "STACKED_BAR"
            legendTemplate = "dead-lettered"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\" AND ${local.push_sub_filter}"
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_SUM"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          },
          {
            plotType       = "LINE"
            legendTemplate = "waiting for the sweep"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.sweep_sub_filter}"
                aggregation = {
                  alignmentPeriod  = "60s"
                  perSeriesAligner = "ALIGN_MAX"
                }
              }
            }
          },
          {
            plotType       = "LINE"
            legendTemplate = "audit copy"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.dlq_sub_filter}"
                aggregation = {
                  alignmentPeriod  = "60s"
                  perSeriesAligner = "ALIGN_MAX"
                }
              }
            }
          },
        ]
      }
    },
    {
      title = "Rows loaded and rejected per hour, by dataset"
      xyChart = {
        dataSets = [for m in ["rows_loaded", "rows_rejected"] : {
          plotType = "LINE"
          timeSeriesQuery = {
            prometheusQuery = "sum by (dataset) (increase(logging_googleapis_com:user_${local.metric_prefix}_${m}_sum[1h]))"
          }
        }]
      }
    },
    {
      title = "Processed uploads by dataset and status (per hour)"
      xyChart = {
        dataSets = [{
          plotType = "STACKED_BAR"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${local.user_metric["uploads_processed"]}\" AND resource.type=\"cloud_run_revision\""
              aggregation = {
                alignmentPeriod    = "3600s"
                perSeriesAligner   = "ALIGN_SUM"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.label.dataset", "metric.label.status"]
              }
            }
          }
        }]
      }
    },
    {
      title = "Overdue uploads found by the sweep (no final status after ${var.overdue_minutes} min)"
      xyChart = {
        dataSets = [{
          plotType = "STACKED_BAR"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${local.user_metric["upload_overdue"]}\" AND resource.type=\"cloud_run_revision\""
              aggregation = {
                alignmentPeriod    = "300s"
                perSeriesAligner   = "ALIGN_SUM"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.label.dataset"]
              }
            }
          }
        }]
      }
    },
    {
      title = "POST requests per hour (alert band ${var.post_rate_low_per_hour}-${var.post_rate_high_per_hour})"
      xyChart = {
        dataSets = [{
          plotType = "STACKED_BAR"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${local.user_metric["post_requests"]}\" AND resource.type=\"cloud_run_revision\""
              aggregation = {
                alignmentPeriod    = "3600s"
                perSeriesAligner   = "ALIGN_SUM"
                crossSeriesReducer = "REDUCE_SUM"
              }
            }
          }
        }]
        thresholds = [
          { value = var.post_rate_high_per_hour, label = "high" },
          { value = var.post_rate_low_per_hour, label = "low" },
        ]
      }
    },
    {
      title = "POST latency p95 (s) vs SLO threshold"
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${local.user_metric["post_latency"]}\" AND resource.type=\"cloud_run_revision\""
              aggregation = {
                alignmentPeriod    = "300s"
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = "REDUCE_PERCENTILE_95"
              }
            }
          }
        }]
        thresholds = [{ value = local.latency_threshold_s, label = "SLO" }]
      }
    },
  ]
}

resource "google_monitoring_dashboard" "this" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "Tarmac ${var.environment} (${var.name})"
    mosaicLayout = {
      columns = 48
      tiles = [for i, w in local.widgets : {
        xPos   = (i % 2) * 24
        yPos   = floor(i / 2) * 16
        width  = 24
        height = 16
        widget = w
      }]
    }
  })
}
