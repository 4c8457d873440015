namespace Siperb.Provisioning.Api;

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
