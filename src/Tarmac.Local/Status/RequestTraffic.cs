namespace Tarmac.Local.Status;

/// <summary>Every request the host answered in the hour.</summary>
/// <param name="Total">Requests answered.</param>
/// <param name="ServerErrors">Requests answered with a 5xx status.</param>
/// <param name="TotalPerMinute">Requests answered in each minute.</param>
/// <param name="ServerErrorsPerMinute">5xx answers in each minute.</param>
public sealed record RequestTraffic(long Total, long ServerErrors, IReadOnlyList<long> TotalPerMinute, IReadOnlyList<long> ServerErrorsPerMinute);
