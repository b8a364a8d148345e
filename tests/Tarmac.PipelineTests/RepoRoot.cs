namespace Tarmac.PipelineTests;

/// <summary>Locates the repository root from the test binaries (walks up to Tarmac.slnx or global.json).</summary>
public static class RepoRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    public static string File(string relative) => System.IO.Path.Combine(Path, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    public static string Read(string relative) => System.IO.File.ReadAllText(File(relative));

    /// <summary>Contents of a repository file, or null when it does not exist.</summary>
    public static string? TryRead(string relative)
    {
        var path = File(relative);
        return System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path) : null;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Tarmac.slnx"))
                || System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "global.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Tarmac.slnx or global.json above {AppContext.BaseDirectory}");
    }
}
