namespace Tarmac.Local.Status;

/// <summary>One service level objective measured over the hour.</summary>
/// <param name="Id"><c>post_latency</c>, <c>post_errors</c> or <c>availability</c>.</param>
/// <param name="Title">What the objective promises, in words.</param>
/// <param name="Goal">Share of good events promised (0.95 is 95%).</param>
/// <param name="Total">Events counted (POSTs, or all requests for availability).</param>
/// <param name="Bad">Events that broke the promise (too slow, or 5xx).</param>
/// <param name="Good">Share of good events in the hour, null without events.</param>
/// <param name="BurnRate">How fast the error budget burns: the bad share divided by the allowed bad share (1 - goal); 1 spends exactly the budget, 0 without events.</param>
/// <param name="BurnRateAlert">The burn rate at which the Cloud Monitoring alert fires.</param>
/// <param name="Met">Whether the hour's good share reaches the goal (true without events).</param>
public sealed record ObjectiveStatus(string Id, string Title, double Goal, long Total, long Bad, double? Good, double BurnRate, double BurnRateAlert, bool Met);
