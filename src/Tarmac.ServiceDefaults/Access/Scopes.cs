namespace Tarmac.ServiceDefaults.Access;

/// <summary>What a token may do (its <c>scope</c> claim, space-separated as in OAuth 2.0).</summary>
public static class Scopes
{
    /// <summary>Send uploads (<c>POST /upload</c>, <c>/datasets/{name}/upload</c>, <c>/uploads</c>).</summary>
    public const string Upload = "upload";

    /// <summary>Read rows, stats and dataset descriptions.</summary>
    public const string Read = "read";

    /// <summary>Read the status of uploads.</summary>
    public const string Status = "status";

    /// <summary>Everything, plus <c>/metrics</c>.</summary>
    public const string Admin = "admin";

    /// <summary>Every scope, in the order they are documented.</summary>
    public static readonly IReadOnlyList<string> All = [Upload, Read, Status, Admin];
}
