namespace Tarmac.Cli;

/// <summary>The process exit codes, so scripts can tell a refused request from a file with bad rows.</summary>
public static class ExitCodes
{
    /// <summary>Done; an upload (with <c>--wait</c>) loaded every row.</summary>
    public const int Ok = 0;

    /// <summary>The server refused the request (its problem is printed), or it could not be reached.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>An upload ended with rejected rows or failed (<c>partially_loaded</c>, <c>rejected</c>, <c>failed</c>).</summary>
    public const int RowsRejected = 3;
}
