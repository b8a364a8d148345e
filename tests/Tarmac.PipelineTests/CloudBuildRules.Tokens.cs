using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

public static partial class CloudBuildRules
{
    /// <summary>The flags every identity-token mint in the pipelines must pass (see ci/deploy/mint-token.sh).</summary>
    public static readonly IReadOnlyList<string> IdentityTokenFlags = ["--impersonate-service-account=", "--audiences=", "--include-email"];

    /// <summary>
    /// Every <c>gcloud auth print-identity-token</c> a step runs (itself or through ci/ scripts) impersonates a
    /// service account. A build that runs as a user-managed service account gets no identity token from Cloud Build's
    /// metadata server; with impersonation gcloud asks the IAM Credentials API instead
    /// (https://cloud.google.com/sdk/gcloud/reference/auth/print-identity-token,
    /// https://cloud.google.com/iam/docs/service-account-permissions).
    /// </summary>
    public static IEnumerable<string> IdentityTokensByImpersonation(CloudBuildFile file, Func<string, string?> readScript)
    {
        foreach (var step in file.Steps)
        {
            foreach (var (where, code) in ReachableCode(step, readScript))
            {
                foreach (var command in IdentityTokenCommands(code))
                {
                    foreach (var flag in IdentityTokenFlags.Where(f => !command.Contains(f, StringComparison.Ordinal)))
                    {
                        yield return $"{where}: 'gcloud auth print-identity-token' without {flag.TrimEnd('=')} (mint by impersonation, see ci/deploy/mint-token.sh)";
                    }
                }
            }
        }
    }

    /// <summary>Each <c>print-identity-token</c> command in <paramref name="code"/>, with its continuation lines joined.</summary>
    public static IEnumerable<string> IdentityTokenCommands(string code) =>
        IdentityTokenCommand().Matches(code.Replace("\\\n", " ", StringComparison.Ordinal)).Select(m => m.Value);

    [GeneratedRegex(@"print-identity-token[^\n;|&)]*")]
    private static partial Regex IdentityTokenCommand();
}
