namespace Siperb.Provisioning.Api;

/// <summary>Where the core reports what it does. Implementations may be called from any thread.</summary>
internal interface IClientLog
{
    /// <summary>One line per request: method, path without query, status, time, attempt, wait.</summary>
    void Verbose(string message);

    /// <summary>Adds header names (never values, never bodies).</summary>
    void Debug(string message);

    /// <summary>Something the user should know although the call succeeded.</summary>
    void Warning(string message);
}

/// <summary>A log that drops everything.</summary>
internal sealed class NullClientLog : IClientLog
{
    /// <summary>The one instance.</summary>
    public static readonly NullClientLog Instance = new();

    private NullClientLog() { }

    /// <inheritdoc/>
    public void Verbose(string message) { }

    /// <inheritdoc/>
    public void Debug(string message) { }

    /// <inheritdoc/>
    public void Warning(string message) { }
}
