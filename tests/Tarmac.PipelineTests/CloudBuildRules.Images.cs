using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

public static partial class CloudBuildRules
{
    /// <summary>
    /// Repositories for which no published digest could be found (ci/README.md, "Pinned images"): a version tag
    /// other than latest is their pin until one is. Every other image needs <c>repository:tag@sha256:&lt;64 hex&gt;</c>.
    /// </summary>
    public static readonly IReadOnlySet<string> DigestNotFound = new HashSet<string>(StringComparer.Ordinal)
    {
        "gcr.io/cloud-builders/docker",
    };

    /// <summary>Every builder image is pinned: a version tag and a digest (see <see cref="ImagePinProblem"/>).</summary>
    public static IEnumerable<string> PinnedImages(CloudBuildFile file) =>
        file.Steps.Select(s => ImagePinProblem(s.Name) is { } p ? $"step {s.Label}: {p}" : null).OfType<string>();

    /// <summary>
    /// Why <paramref name="image"/> is not pinned, or null when it is: <c>repository:tag@sha256:&lt;64 lower-case hex&gt;</c>.
    /// The tag says which version it is (for people and for Renovate/Dependabot, which bump both); the digest is what is
    /// pulled, so a re-pushed tag cannot change the build.
    /// </summary>
    public static string? ImagePinProblem(string image)
    {
        if (string.IsNullOrWhiteSpace(image))
        {
            return "no image";
        }

        if (image.Contains('$', StringComparison.Ordinal))
        {
            return $"image '{image}' is a substitution: its version cannot be checked";
        }

        var at = image.IndexOf('@', StringComparison.Ordinal);
        var reference = at < 0 ? image : image[..at];
        var digest = at < 0 ? null : image[(at + 1)..];
        var slash = reference.LastIndexOf('/');
        var colon = reference.IndexOf(':', slash + 1);
        var repository = colon < 0 ? reference : reference[..colon];
        var tag = colon < 0 ? "" : reference[(colon + 1)..];

        if (digest is not null && !Sha256Digest().IsMatch(digest))
        {
            return $"image '{image}' has a malformed digest (sha256: and 64 lower-case hex digits)";
        }

        if (tag.Length == 0)
        {
            return digest is null
                ? $"image '{image}' has no tag (means :latest)"
                : $"image '{image}' has a digest but no tag: write {repository}:<version>@{digest} so people and bots see the version";
        }

        if (tag.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return $"image '{image}' is not pinned (:latest)";
        }

        if (digest is null && !DigestNotFound.Contains(repository))
        {
            return $"image '{image}' is not pinned by digest: write {reference}@sha256:<digest> (ci/README.md, \"Pinned images\")";
        }

        return null;
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex Sha256Digest();
}
