namespace Siperb.Provisioning.Api;

/// <summary>
/// A log that says whether anyone listens to its debug stream: then expensive debug lines (a SIP
/// message, scrubbed) are not even formatted when nobody does. A log without it counts as listening.
/// </summary>
internal interface IClientLogLevel
{
    /// <summary>True when Debug lines go somewhere.</summary>
    bool IsDebugEnabled { get; }
}
