using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Security;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Logs in to the Siperb API with a personal access token and returns the session.</para>
/// <para type="description">With -AccessToken, -Credential or the SIPERB_ACCESS_TOKEN environment variable it logs in
/// (POST /Login) and makes the session this runspace's current one; with none of them it returns the current session.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SiperbSession", DefaultParameterSetName = ParameterSets.CurrentSession)]
[Alias("Connect-Siperb")]
[OutputType(typeof(SiperbSession))]
[OutputType(typeof(SiperbCachedSession), ParameterSetName = new[] { ParameterSets.ListAvailable })]
public sealed class GetSiperbSessionCommand : SiperbCmdlet
{
    /// <summary>The personal access token (PAT) from the Siperb Admin Control Panel.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSets.AccessToken)]
    [Alias("Token")]
    [ValidateNotNull]
    public SecureString? AccessToken { get; set; }

    /// <summary>A credential whose password is the PAT; the user name is ignored (Get-AutomationPSCredential).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Credential)]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>
    /// Lists every session in the current user's disk cache (user, e-mail, base URI, created, expires,
    /// whether expired; never the token). It deletes nothing: Clear-SiperbCache -Expired does.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.ListAvailable)]
    public SwitchParameter ListAvailable { get; set; }

    /// <summary>The API root; default $env:SIPERB_API_BASE_URI, else https://api.siperb.com.</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    public Uri? ApiBaseUri { get; set; }

    /// <summary>Process keeps the session in memory only; CurrentUser (default) also caches it on disk, keyed by a hash of the token.</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    public SiperbSessionScope Scope { get; set; } = SiperbSessionScope.CurrentUser;

    /// <summary>Log in again even when the current session came from the same token.</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds one attempt may take, body included (default 30).</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = ConnectionSettings.DefaultTimeoutSec;

    /// <summary>Retries of a GET after the first attempt (default 3; a login is retried once at most).</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    [ValidateRange(0, 20)]
    public int MaximumRetryCount { get; set; } = ConnectionSettings.DefaultMaximumRetryCount;

    /// <summary>First wait between attempts in seconds, doubling per retry with jitter (default 1).</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    [ValidateRange(0, 600)]
    public int RetryIntervalSec { get; set; } = ConnectionSettings.DefaultRetryIntervalSec;

    /// <summary>A proxy server for every request of the session.</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    public Uri? Proxy { get; set; }

    /// <summary>Credentials for -Proxy.</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    public PSCredential? ProxyCredential { get; set; }

    /// <summary>Use the current user's credentials for the proxy.</summary>
    [Parameter(ParameterSetName = ParameterSets.AccessToken)]
    [Parameter(ParameterSetName = ParameterSets.Credential)]
    [Parameter(ParameterSetName = ParameterSets.CurrentSession)]
    public SwitchParameter ProxyUseDefaultCredentials { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (ListAvailable)
        {
            WriteCachedSessions();
            return;
        }
        string? accessToken = ParameterSetName switch
        {
            ParameterSets.AccessToken => SecureText.ToPlain(AccessToken!),
            ParameterSets.Credential => Credential!.GetNetworkCredential().Password,
            _ => EnvironmentVariables.Read(EnvironmentVariables.AccessToken)?.Trim(),
        };
        if (accessToken is null)
        {
            SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
            // Said at once, as a Get- cmdlet says "not found": non-terminating, so -ErrorAction SilentlyContinue probes quietly.
            if (current is null) WriteError(SessionErrors.NoSession());
            else WriteObject(current);
            return;
        }
        if (Proxy is not null && !Proxy.IsAbsoluteUri)
        {
            ThrowInvalidArgument("The -Proxy value must be an absolute URI such as http://proxy.example.com:8080.", Proxy);
        }
        Uri apiBaseUri = ResolveApiBaseUri(ApiBaseUri);
        WriteObject(Login(accessToken, apiBaseUri, ConnectionSettingsFromParameters(), Force.IsPresent, Scope));
    }

    private void WriteCachedSessions()
    {
        SiperbCache cache = SiperbCache.Open(Log);
        Flush();
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        string? currentEntry = current?.Scope == SiperbSessionScope.CurrentUser && current.Api.AccessTokenHash is string hash
            ? SiperbCache.SessionEntryName(hash)
            : null;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        List<CachedSession> listed = CachedSessions.List(cache);
        WriteVerbose($"{listed.Count} cached sessions in {cache.Location}.");
        foreach (CachedSession entry in listed)
        {
            WriteObject(new SiperbCachedSession(entry, string.Equals(entry.EntryName, currentEntry, StringComparison.Ordinal), now));
        }
    }

    private ConnectionSettings? ConnectionSettingsFromParameters()
    {
        string[] names = { nameof(TimeoutSec), nameof(MaximumRetryCount), nameof(RetryIntervalSec), nameof(Proxy),
            nameof(ProxyCredential), nameof(ProxyUseDefaultCredentials) };
        bool any = false;
        foreach (string name in names) any |= MyInvocation.BoundParameters.ContainsKey(name);
        if (!any) return null;
        NetworkCredential? proxyCredential = ProxyCredential?.GetNetworkCredential();
        return new ConnectionSettings(TimeoutSec, MaximumRetryCount, RetryIntervalSec, Proxy, proxyCredential,
            ProxyUseDefaultCredentials.IsPresent);
    }
}
