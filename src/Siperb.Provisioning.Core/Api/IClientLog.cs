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
