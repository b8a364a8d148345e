using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Tarmac.PipelineTests;

/// <summary>
/// ci/package.sh, ci/local-pipeline.sh and the Dockerfile agree on names and layout
/// (read as text: running package.sh here would be slow and is the local pipeline's job).
/// </summary>
public sealed partial class PackagingTests(ITestOutputHelper output)
{
    public static TheoryData<string> Functions => new(CloudBuildRules.Functions);

    private static readonly string[] RootUsers = ["root", "0"];
    private static readonly string[] RootConfigFiles = ["NuGet.config", "nuget.config", "Directory.Build.targets"];

    [Fact]
    public void PackageScriptBuildsFunctionDashBranchZips()
    {
        var script = RepoRoot.Read("ci/package.sh");
        Assert.StartsWith("#!/usr/bin/env bash", script, StringComparison.Ordinal);
        Assert.Contains("set -euo pipefail", script, StringComparison.Ordinal);
        Assert.Equal(CloudBuildRules.Functions, ArrayValues(script, "FUNCTIONS"));
        Assert.Contains("archive=\"$out_dir/$fn-$branch.zip\"", script, StringComparison.Ordinal);
        Assert.Contains("out_dir=\"$repo_root/artifacts\"", script, StringComparison.Ordinal);
        // Only the two pipeline branches are accepted.
        Assert.Matches(@"case ""\$branch"" in\s+develop\|master\) ;;", script);
        // The one Dockerfile goes to the bundle root naming the bundle's function; the projects every function needs are always packed.
        Assert.Contains("dockerfile=\"src/Dockerfile\"", script, StringComparison.Ordinal);
        Assert.Contains("sed \"0,/^ARG FUNCTION\\$/s//ARG FUNCTION=${project#Tarmac.}/\" \"$dockerfile\" > \"$stage/Dockerfile\"", script, StringComparison.Ordinal);
        Assert.Equal(["Tarmac.Core", "Tarmac.ServiceDefaults", "Tarmac.GoogleCloud"], ArrayValues(script, "COMMON_PROJECTS"));
    }

    [Fact]
    public void LocalPipelineChecksTheSameNames()
    {
        var script = RepoRoot.Read("ci/local-pipeline.sh");
        Assert.Equal(CloudBuildRules.Functions, ArrayValues(script, "functions"));
        Assert.Contains("zip=\"artifacts/$fn-$branch.zip\"", script, StringComparison.Ordinal);
        Assert.Contains("bash ci/package.sh \"$branch\"", script, StringComparison.Ordinal);
        Assert.Contains("-u TARMAC_BASE_URL", script, StringComparison.Ordinal);
        // master: the pipeline's integration-test command must fail against a gateway that answers 200 with wrong data.
        Assert.Contains("step \"lying gateway fails\" lying_gateway_check", script, StringComparison.Ordinal);
        Assert.Contains("bash ci/deploy/integration-tests.sh \"http://127.0.0.1:$port\"", script, StringComparison.Ordinal);
        Assert.True(File.Exists(RepoRoot.File("ci/lying-gateway.py")), "ci/lying-gateway.py is missing");
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void DockerfileBuildsThePinnedNonRootService(string function)
    {
        var project = ProjectOf(function);
        var dockerfile = Bundled(project);
        var from = FromLine().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/aspnet:10.0"], from.Select(f => f.Split('@')[0]));
        Assert.All(from, f => Assert.Null(CloudBuildRules.ImagePinProblem(f)));
        Assert.DoesNotContain("alpine", string.Join(' ', from), StringComparison.Ordinal);

        Assert.Matches(@"dotnet publish src/" + Regex.Escape(project) + "/" + Regex.Escape(project) + @"\.csproj[^\n]*(\\\n[^\n]*)*-r linux-x64 --no-self-contained", dockerfile);
        Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", dockerfile, StringComparison.Ordinal);
        // The backend is the host's own choice in Program.cs, not a setting an image could get wrong.
        Assert.DoesNotContain("TARMAC_BACKEND", dockerfile, StringComparison.Ordinal);
        Assert.Contains("TARMAC_SCHEMAS=/app/schemas", dockerfile, StringComparison.Ordinal);
        Assert.Contains("COPY schemas/ /app/schemas/", dockerfile, StringComparison.Ordinal);
        Assert.Contains($"TARMAC_FUNCTION_ASSEMBLY={project}.dll", dockerfile, StringComparison.Ordinal);
        // exec, so that dotnet is PID 1 and gets the SIGTERM Cloud Run sends before it stops an instance.
        Assert.Contains("ENTRYPOINT [\"/bin/sh\", \"-c\", \"exec dotnet \\\"$TARMAC_FUNCTION_ASSEMBLY\\\"\"]", dockerfile, StringComparison.Ordinal);
        // The last USER must not be root.
        var users = Regex.Matches(dockerfile, @"^USER\s+(\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(users);
        Assert.DoesNotContain(users[^1], RootUsers);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void DockerfileRestoresEveryProjectTheServiceReferences(string function)
    {
        var project = ProjectOf(function);
        var dockerfile = Bundled(project);
        var copied = CsprojCopy().Matches(dockerfile).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains(project, copied);
        Assert.Superset(new HashSet<string> { "Tarmac.Core", "Tarmac.ServiceDefaults", "Tarmac.GoogleCloud" }, copied);
        Assert.DoesNotContain("Tarmac.Embedded", copied);
        foreach (var f in RootConfigFiles.Where(f => File.Exists(RepoRoot.File(f))))
        {
            Assert.Contains(f, dockerfile, StringComparison.Ordinal);
        }

        if (!File.Exists(RepoRoot.File($"src/{project}/{project}.csproj")))
        {
            output.WriteLine($"src/{project}/{project}.csproj does not exist yet: reference check not run");
            return;
        }

        var closure = ProjectClosure(project);
        output.WriteLine($"{project} needs {string.Join(", ", closure.Order(StringComparer.Ordinal))}");
        Assert.Empty(closure.Except(copied));
        // A Cloud Run image carries no embedded backend (and so no DuckDB), even through a reference of a reference.
        Assert.DoesNotContain("Tarmac.Embedded", closure);
        var missing = copied.Where(p => !File.Exists(RepoRoot.File($"src/{p}/{p}.csproj"))).ToList();
        Assert.True(missing.Count == 0, $"src/Dockerfile for {project} copies projects that do not exist: {string.Join(", ", missing)}");
    }

    [Fact]
    public void DockerIgnoreKeepsBuildOutputOut()
    {
        var lines = RepoRoot.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToList();
        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
        Assert.DoesNotContain("schemas/", lines);
        Assert.DoesNotContain("src/", lines);
    }

    [Fact]
    public void DockerfileRefusesToBuildWithoutAFunction()
    {
        var dockerfile = RepoRoot.Read("src/Dockerfile");
        // One global declaration for package.sh to fill in, and each stage re-declares it (Docker scopes ARGs per stage).
        Assert.Equal(3, Regex.Count(dockerfile, @"^ARG FUNCTION$", RegexOptions.Multiline));
        Assert.True(Regex.Match(dockerfile, "^ARG FUNCTION$", RegexOptions.Multiline).Index < FromLine().Match(dockerfile).Index, "the global ARG FUNCTION must come before the first FROM");
        Assert.Contains("RUN test -n \"$FUNCTION\" ||", dockerfile, StringComparison.Ordinal);
    }

    /// <summary>
    /// src/Dockerfile as the bundle of <paramref name="project"/> carries it, with FUNCTION expanded the way Docker
    /// expands a build argument in FROM-stage instructions (<c>$FUNCTION</c> and <c>${FUNCTION}</c>).
    /// </summary>
    private static string Bundled(string project)
    {
        var function = project["Tarmac.".Length..];
        return RepoRoot.Read("src/Dockerfile").Replace("${FUNCTION}", function, StringComparison.Ordinal).Replace("$FUNCTION", function, StringComparison.Ordinal);
    }

    /// <summary>ingest → Tarmac.Ingest (package.sh: Tarmac.${fn^}).</summary>
    private static string ProjectOf(string function) => "Tarmac." + char.ToUpperInvariant(function[0]) + function[1..];

    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>([project]);
        while (todo.Count > 0)
        {
            var p = todo.Pop();
            var path = RepoRoot.File($"src/{p}/{p}.csproj");
            if (!seen.Add(p) || !File.Exists(path))
            {
                continue;
            }

            foreach (var include in XDocument.Load(path).Descendants("ProjectReference").Select(e => (string?)e.Attribute("Include")).OfType<string>())
            {
                todo.Push(Path.GetFileNameWithoutExtension(include.Replace('\\', '/')));
            }
        }

        return seen;
    }

    private static List<string> ArrayValues(string script, string name)
    {
        var m = Regex.Match(script, $@"^{Regex.Escape(name)}=\(([^)]*)\)", RegexOptions.Multiline);
        Assert.True(m.Success, $"no {name}=(...) array");
        return m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [GeneratedRegex(@"^FROM\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^COPY\s+src/([^/\s]+)/[^/\s]+\.csproj\s", RegexOptions.Multiline)]
    private static partial Regex CsprojCopy();
}
