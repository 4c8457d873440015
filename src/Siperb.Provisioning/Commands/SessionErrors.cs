using System;
using System.Management.Automation;

namespace Siperb.Provisioning.Commands;

/// <summary>The error of a cmdlet that needs this runspace's session when there is none: NoSession, saying how to make one.</summary>
internal static class SessionErrors
{
    /// <summary>NoSession (AuthenticationError); <paramref name="before"/> says what the session was needed for, if anything.</summary>
    public static ErrorRecord NoSession(string? before = null) =>
        new(new InvalidOperationException(
                $"{before}There is no Siperb session in this runspace. Make one with Get-SiperbSession -AccessToken <token> (or -Credential), or set the environment variable {EnvironmentVariables.AccessToken}."),
            ErrorIds.NoSession, ErrorCategory.AuthenticationError, null);
}
