using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

/// <summary>
/// Base images (src/Dockerfile) and pipeline tool images (ci/cloudbuild/*.yaml) are pinned as
/// <c>repository:tag@sha256:&lt;digest&gt;</c>, one digest per tag everywhere, so a bot bumps them all at once.
/// </summary>
public sealed partial class PinnedImageTests
{
    private static readonly string[] Pipelines = ["ci/cloudbuild/ci.yaml", "ci/cloudbuild/cd.yaml"];

    private static IEnumerable<(string Where, string Image)> AllImages() =>
        Pipelines.SelectMany(p => CloudBuildFile.Load(p).Steps.Select(s => ($"{p} step {s.Label}", s.Name)))
            .Concat(FromLine().Matches(RepoRoot.Read("src/Dockerfile")).Select(m => ("src/Dockerfile", m.Groups[1].Value)));

    [Fact]
    public void EveryImageIsPinned()
    {
        var problems = AllImages().Select(i => CloudBuildRules.ImagePinProblem(i.Image) is { } p ? $"{i.Where}: {p}" : null).OfType<string>().ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EachTagHasOneDigestEverywhere()
    {
        var digestsByTag = AllImages().Where(i => i.Image.Contains('@', StringComparison.Ordinal))
            .GroupBy(i => i.Image[..i.Image.IndexOf('@', StringComparison.Ordinal)], i => i.Image[(i.Image.IndexOf('@', StringComparison.Ordinal) + 1)..]);
        foreach (var tag in digestsByTag)
        {
            Assert.True(tag.Distinct().Count() == 1, $"{tag.Key} is pinned to different digests: {string.Join(", ", tag.Distinct())}");
        }
    }

    [Fact]
    public void TheUnitTestsRunOnTheSdkTheImagesAreBuiltWith()
    {
        var build = FromLine().Matches(RepoRoot.Read("src/Dockerfile")).Select(m => m.Groups[1].Value).First();
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0@sha256:", build, StringComparison.Ordinal);
        foreach (var pipeline in Pipelines)
        {
            var unitTests = Assert.Single(CloudBuildFile.Load(pipeline).Steps, s => s.Id == "unit-tests");
            Assert.Equal(build, unitTests.Name);
        }
    }

    /// <summary>The tag-only exception lists only repositories still used without a digest: pin one, and it must go.</summary>
    [Fact]
    public void TheDigestExceptionIsStillNeeded()
    {
        var tagOnly = AllImages().Select(i => i.Image).Where(i => !i.Contains('@', StringComparison.Ordinal))
            .Select(i => i[..i.LastIndexOf(':')]).ToHashSet(StringComparer.Ordinal);
        Assert.All(CloudBuildRules.DigestNotFound, repo => Assert.Contains(repo, tagOnly));
    }

    [GeneratedRegex(@"^FROM\s+(?:--platform=\S+\s+)?(\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();
}
