namespace Tarmac.Core.Ports;

/// <summary>
/// An outside service (bucket, warehouse) failed in a way that trying again later may fix: quota, rate
/// limit, 5xx. Work that hits it stays pending for a redelivery; it must not be recorded as failed.
/// </summary>
public class TransientFailureException(string message, Exception? inner = null) : Exception(message, inner);
