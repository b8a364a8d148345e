using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

/// <summary>The optional GitHub Actions mirrors: keyless auth, actions pinned by commit SHA.</summary>
public sealed partial class WorkflowTests
{
    public static TheoryData<string> Workflows => new(".github/workflows/ci.yml", ".github/workflows/cd.yml");

    [Theory]
    [MemberData(nameof(Workflows))]
    public void ActionsArePinnedByShaWithAVersionComment(string path)
    {
        var text = RepoRoot.TryRead(path);
        if (text is null)
        {
            return; // optional
        }

        var uses = Uses().Matches(text).ToList();
        Assert.NotEmpty(uses);
        Assert.All(uses, m => Assert.Matches(PinnedUse(), m.Value));
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public void GoogleAuthIsKeyless(string path)
    {
        var text = RepoRoot.TryRead(path);
        if (text is null)
        {
            return;
        }

        Assert.DoesNotContain("credentials_json", text, StringComparison.Ordinal);
        Assert.Contains("workload_identity_provider:", text, StringComparison.Ordinal);
        Assert.Contains("id-token: write", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"uses:\s*\S+[^\n]*")]
    private static partial Regex Uses();

    [GeneratedRegex(@"^uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")]
    private static partial Regex PinnedUse();
}
