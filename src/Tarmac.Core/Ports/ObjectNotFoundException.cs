namespace Tarmac.Core.Ports;

/// <summary>A read asked for an object that does not exist.</summary>
public sealed class ObjectNotFoundException(string name) : IOException($"Object '{name}' does not exist.")
{
    /// <summary>The name that was asked for.</summary>
    public string ObjectName { get; } = name;
}
