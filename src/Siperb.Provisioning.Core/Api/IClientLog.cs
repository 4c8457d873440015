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
internal sealed class NullClientLog : IClientLog, IClientLogLevel
{
    /// <summary>The one instance.</summary>
    public static readonly NullClientLog Instance = new();

    private NullClientLog() { }

    /// <inheritdoc/>
    public bool IsDebugEnabled => false;

    /// <inheritdoc/>
    public void Verbose(string message) { }

    /// <inheritdoc/>
    public void Debug(string message) { }

    /// <inheritdoc/>
    public void Warning(string message) { }
}

/// <summary>
/// A log that says whether anyone listens to its debug stream: then expensive debug lines (a SIP
/// message, scrubbed) are not even formatted when nobody does. A log without it counts as listening.
/// </summary>
internal interface IClientLogLevel
{
    /// <summary>True when Debug lines go somewhere.</summary>
    bool IsDebugEnabled { get; }
}

/// <summary>Reads <see cref="IClientLogLevel"/> off any log.</summary>
internal static class ClientLogLevel
{
    /// <summary>False only for a log that says nobody listens to its debug stream.</summary>
    public static bool DebugEnabled(IClientLog log) => log is not IClientLogLevel level || level.IsDebugEnabled;
}
