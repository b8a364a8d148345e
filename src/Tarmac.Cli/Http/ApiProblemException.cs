namespace Tarmac.Cli.Http;

/// <summary>The server answered with an error; <see cref="Problem"/> says what it was.</summary>
public sealed class ApiProblemException(ApiProblem problem) : Exception($"HTTP {problem.Status} {problem.Title}")
{
    /// <summary>The server's answer.</summary>
    public ApiProblem Problem { get; } = problem;
}
