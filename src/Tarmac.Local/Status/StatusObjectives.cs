namespace Tarmac.Local.Status;

/// <summary>
/// The service level objectives the page measures against: the same numbers as the Cloud Monitoring SLOs and alerts
/// (defaults of infra/modules/monitoring/variables.tf), so the local page and the Google Cloud dashboard agree.
/// </summary>
public static class StatusObjectives
{
    /// <summary>A POST slower than this counts against the latency objective (<c>post_latency_p95_ms</c>).</summary>
    public const double PostLatencyThresholdMs = 300;

    /// <summary>Share of POSTs answered under the threshold (<c>slo_post_latency_goal</c>): p95 &lt; 300 ms.</summary>
    public const double PostLatencyGoal = 0.95;

    /// <summary>Share of POSTs not answered 5xx (<c>slo_post_errors_goal</c>): fewer than 1% fail.</summary>
    public const double PostErrorsGoal = 0.99;

    /// <summary>Share of all requests not answered 5xx (<c>slo_availability_goal</c>).</summary>
    public const double AvailabilityGoal = 0.999;

    /// <summary>Burn rate at which the SLO alerts fire (<c>slo_burn_rate_threshold</c>, over a one-hour lookback).</summary>
    public const double BurnRateAlert = 10;
}
