namespace Siperb.Provisioning.Api;

/// <summary>Reads <see cref="IClientLogLevel"/> off any log.</summary>
internal static class ClientLogLevel
{
    /// <summary>False only for a log that says nobody listens to its debug stream.</summary>
    public static bool DebugEnabled(IClientLog log) => log is not IClientLogLevel level || level.IsDebugEnabled;
}
