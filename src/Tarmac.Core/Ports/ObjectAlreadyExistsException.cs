namespace Tarmac.Core.Ports;

/// <summary>A create-only write hit an existing name.</summary>
public sealed class ObjectAlreadyExistsException(string name) : IOException($"Object '{name}' already exists.")
{
    /// <summary>The name that was taken.</summary>
    public string ObjectName { get; } = name;
}
