namespace Tarmac.CloudSimulation.StandIn;

/// <summary>One request the stand-in answered (status 0: aborted by a test hook).</summary>
public sealed record Exchange(string Route, string Method, string PathAndQuery, int Status, DateTimeOffset At);
