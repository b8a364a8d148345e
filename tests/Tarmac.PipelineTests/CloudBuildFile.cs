using YamlDotNet.Serialization;

namespace Tarmac.PipelineTests;

/// <summary>One build step of a Cloud Build config, as far as the checks need it.</summary>
/// <param name="Index">Position in <c>steps</c>.</param>
/// <param name="Id">The step's <c>id</c>, or null.</param>
/// <param name="Name">The builder image.</param>
/// <param name="WaitFor">The <c>waitFor</c> list, or null when absent (= wait for every earlier step).</param>
/// <param name="Text">Entrypoint, args and script joined: what the step runs.</param>
/// <param name="Env">The step's <c>env</c> entries.</param>
/// <param name="AllowFailure">Whether <c>allowFailure: true</c>.</param>
public sealed record BuildStep(
    int Index, string? Id, string Name, IReadOnlyList<string>? WaitFor, string Text, IReadOnlyList<string> Env, bool AllowFailure)
{
    /// <summary>Id if there is one, else the position: for messages.</summary>
    public string Label => Id ?? $"#{Index}";
}

/// <summary>A parsed Cloud Build config (cloudbuild.yaml), untyped underneath so every string can be scanned.</summary>
public sealed class CloudBuildFile
{
    private CloudBuildFile(object? root, IReadOnlyList<BuildStep> steps)
    {
        Root = root;
        Steps = steps;
    }

    /// <summary>The YAML document as dictionaries, lists and strings.</summary>
    public object? Root { get; }

    public IReadOnlyList<BuildStep> Steps { get; }

    /// <summary>The <c>substitutions</c> block (name → default value).</summary>
    public IReadOnlyDictionary<string, string> Substitutions =>
        Map(Root, "substitutions")?.ToDictionary(kv => Str(kv.Key), kv => Str(kv.Value)) ?? new Dictionary<string, string>();

    /// <summary><c>options.env</c>: applies to every step.</summary>
    public IReadOnlyList<string> OptionsEnv => List(Map(Root, "options"), "env").Select(Str).ToList();

    /// <summary><c>artifacts.objects.location</c>, or null.</summary>
    public string? ArtifactLocation => Map(Map(Root, "artifacts"), "objects") is { } o && o.TryGetValue("location", out var l) ? Str(l) : null;

    /// <summary><c>artifacts.objects.paths</c>.</summary>
    public IReadOnlyList<string> ArtifactPaths => List(Map(Map(Root, "artifacts"), "objects"), "paths").Select(Str).ToList();

    public static CloudBuildFile Parse(string yaml)
    {
        var root = new DeserializerBuilder().Build().Deserialize<object?>(yaml);
        var steps = new List<BuildStep>();
        var index = 0;
        foreach (var raw in List(root as IDictionary<object, object>, "steps"))
        {
            var step = raw as IDictionary<object, object> ?? new Dictionary<object, object>();
            string? Get(string key) => step.TryGetValue(key, out var v) && v is not null ? Str(v) : null;
            IReadOnlyList<string>? waitFor = step.TryGetValue("waitFor", out var w) && w is not null
                ? (w as IList<object> ?? [w]).Select(Str).ToList()
                : null;
            var text = string.Join(' ', new[] { Get("entrypoint") }
                .Concat(List(step, "args").Select(Str))
                .Append(Get("script"))
                .Where(s => !string.IsNullOrEmpty(s)));
            steps.Add(new BuildStep(
                index++,
                Get("id"),
                Get("name") ?? "",
                waitFor,
                text,
                List(step, "env").Select(Str).ToList(),
                string.Equals(Get("allowFailure"), "true", StringComparison.OrdinalIgnoreCase)));
        }

        return new CloudBuildFile(root, steps);
    }

    public static CloudBuildFile Load(string relativePath) => Parse(RepoRoot.Read(relativePath));

    /// <summary>Every string value in the document (mapping keys excluded), with its YAML path.</summary>
    public IEnumerable<(string Path, string Value)> StringValues() => Walk(Root, "");

    /// <summary>The steps a step waits for directly (Cloud Build: no waitFor = every earlier step; '-' = none).</summary>
    public IEnumerable<BuildStep> DirectDependencies(BuildStep step)
    {
        if (step.WaitFor is null)
        {
            return Steps.Take(step.Index);
        }

        return step.WaitFor.Where(w => w != "-").SelectMany(w => Steps.Where(s => s.Id == w));
    }

    /// <summary>Every step that must finish before <paramref name="step"/> starts.</summary>
    public IReadOnlySet<BuildStep> Ancestors(BuildStep step)
    {
        var seen = new HashSet<BuildStep>();
        var todo = new Stack<BuildStep>(DirectDependencies(step));
        while (todo.Count > 0)
        {
            var s = todo.Pop();
            if (seen.Add(s))
            {
                foreach (var d in DirectDependencies(s))
                {
                    todo.Push(d);
                }
            }
        }

        return seen;
    }

    private static IEnumerable<(string, string)> Walk(object? node, string path) => node switch
    {
        IDictionary<object, object> map => map.SelectMany(kv => Walk(kv.Value, $"{path}.{Str(kv.Key)}")),
        IList<object> list => list.SelectMany((v, i) => Walk(v, $"{path}[{i}]")),
        null => [],
        _ => [(path.TrimStart('.'), Str(node))],
    };

    private static IDictionary<object, object>? Map(object? node, string key) =>
        node is IDictionary<object, object> m && m.TryGetValue(key, out var v) ? v as IDictionary<object, object> : null;

    private static IEnumerable<object> List(IDictionary<object, object>? node, string key) =>
        node is not null && node.TryGetValue(key, out var v) && v is IList<object> l ? l : [];

    private static string Str(object? o) => o?.ToString() ?? "";
}
