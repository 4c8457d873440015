using System;

namespace Siperb.Provisioning.Api;

/// <summary>Which call's log a session event belongs to.</summary>
internal sealed class SessionEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    public SessionEventArgs(IClientLog log) => Log = log;

    /// <summary>The log of the call that raised the event.</summary>
    public IClientLog Log { get; }
}
