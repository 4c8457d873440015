using System.Collections.Specialized;

namespace Siperb.Provisioning;

/// <summary>Where a session is kept.</summary>
public enum SiperbSessionScope
{
    /// <summary>In this runspace's memory only.</summary>
    Process,

    /// <summary>In memory and in the current user's disk cache, keyed by a hash of the access token.</summary>
    CurrentUser,
}
