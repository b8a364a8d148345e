using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Tarmac.ServiceDefaults;

/// <summary>RFC 9457 problem responses that say what is wrong and how to fix it.</summary>
public static class Problems
{
    /// <summary>A problem with a status, a short title and a detail saying what to fix.</summary>
    public static ProblemHttpResult Create(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    /// <summary>400 naming the parameter at fault and what it allows.</summary>
    public static ProblemHttpResult BadParameter(string parameter, string detail, IEnumerable<string>? allowed = null)
    {
        var ext = new Dictionary<string, object?> { ["parameter"] = parameter };
        if (allowed is not null) ext["allowed"] = allowed.ToArray();
        return Create(StatusCodes.Status400BadRequest, $"Invalid parameter '{parameter}'", detail, ext);
    }

    /// <summary>404 for an unknown dataset, listing the known ones.</summary>
    public static ProblemHttpResult UnknownDataset(string name, string known) =>
        Create(StatusCodes.Status404NotFound, "Unknown dataset", $"There is no dataset '{name}'. Known datasets: {known}.");
}
