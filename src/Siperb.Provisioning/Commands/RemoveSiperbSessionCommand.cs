using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Logs out: forgets a Siperb session and deletes its cached copy from disk; -ClearCache also deletes that user's cached devices and provisioning.</para>
/// <para type="description">Without -Session it removes this runspace's current session. Sessions can be piped in (Get-SiperbSession | Remove-SiperbSession);
/// objects that only carry a UserId (sessions from Start-Job or Import-Clixml, Get-SiperbSession -ListAvailable) bind by property name.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SiperbSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ParameterSets.Session)]
[Alias("Disconnect-Siperb")]
[OutputType(typeof(void))]
public sealed class RemoveSiperbSessionCommand : SiperbCmdlet
{
    private SiperbCache? _cache;

    /// <summary>The sessions to remove; default: this runspace's current session.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = ParameterSets.Session)]
    [ValidateNotNull]
    public SiperbSession[]? Session { get; set; }

    /// <summary>
    /// Remove the sessions of this user instead (bound by property name from a session that lost its
    /// token on the way: Start-Job, Import-Clixml, Get-SiperbSession -ListAvailable): this runspace's
    /// session if it is the user's, and every cached session of the user (at -ApiBaseUri when given).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ByUserId, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserIdCompleter))]
    public string? UserId { get; set; }

    /// <summary>With -UserId: only the sessions at this API root.</summary>
    [Parameter(ParameterSetName = ByUserId, ValueFromPipelineByPropertyName = true)]
    public System.Uri? ApiBaseUri { get; set; }

    private const string ByUserId = nameof(UserId);

    /// <summary>Also delete every cached device list and provisioning (SIP passwords) of the session's user.</summary>
    [Parameter]
    public SwitchParameter ClearCache { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByUserId)
        {
            RemoveByUser(UserId!, ApiBaseUri);
            return;
        }
        IEnumerable<SiperbSession> sessions;
        if (Session is not null)
        {
            sessions = Session;
        }
        else
        {
            SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
            if (current is null)
            {
                WriteVerbose("There is no session in this runspace.");
                return;
            }
            sessions = new[] { current };
        }
        foreach (SiperbSession session in sessions) Remove(session);
    }

    private void Remove(SiperbSession session)
    {
        string action = ClearCache
            ? "Forget the Siperb session, delete its cached copy and every cached device list and provisioning of its user"
            : "Forget the Siperb session and delete its cached copy";
        if (!ShouldProcess(session.ToString(), action)) return;
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        if (current is not null && ReferenceEquals(current.Api, session.Api)) SessionStore.SetCurrent(Runspace.DefaultRunspace, null);
        bool cachedSession = session.Scope == SiperbSessionScope.CurrentUser && session.Api.AccessTokenHash is not null;
        if (!cachedSession && !ClearCache) return;
        SiperbCache cache = _cache ??= SiperbCache.Open(Log);
        Flush();
        var notDeleted = new List<SiperbCache.NotDeletedEntry>();
        int deleted = 0;
        if (cachedSession)
        {
            SiperbCache.DeleteOutcome outcome = cache.Delete(SiperbCache.SessionKey(session.Api.AccessTokenHash!));
            deleted += outcome.Deleted.Count;
            notDeleted.AddRange(outcome.NotDeleted);
        }
        if (ClearCache)
        {
            SiperbCache.DeleteOutcome outcome = cache.DeleteEntries(CachedSessions.OfUser(cache.ListEntries(), session.UserId), everything: false, Log);
            Flush();
            deleted += outcome.Deleted.Count;
            notDeleted.AddRange(outcome.NotDeleted);
        }
        WriteVerbose($"Deleted {deleted} cached entries of user {session.UserId} from {cache.Location}.");
        var named = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (SiperbCache.NotDeletedEntry entry in notDeleted)
        {
            if (named.Add(entry.Path)) WriteError(CacheDeletionErrors.For(entry));
        }
    }

    private void RemoveByUser(string userId, System.Uri? apiBaseUri)
    {
        string target = apiBaseUri is null ? userId : $"{userId}@{apiBaseUri.Host}";
        string action = ClearCache
            ? "Forget the user's Siperb sessions, delete their cached copies and every cached device list and provisioning of the user"
            : "Forget the user's Siperb sessions and delete their cached copies";
        if (!ShouldProcess(target, action)) return;
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        if (current is not null && string.Equals(current.UserId, userId, System.StringComparison.OrdinalIgnoreCase)
            && (apiBaseUri is null || System.Uri.Equals(current.ApiBaseUri, apiBaseUri)))
        {
            SessionStore.SetCurrent(Runspace.DefaultRunspace, null);
        }
        SiperbCache cache = _cache ??= SiperbCache.Open(Log);
        Flush();
        IReadOnlyList<SiperbCache.ListedEntry> entries = cache.ListEntries();
        List<SiperbCache.ListedEntry> chosen = ClearCache
            ? CachedSessions.OfUser(entries, userId)
            : CachedSessions.SessionsOfUser(entries, userId, apiBaseUri);
        SiperbCache.DeleteOutcome outcome = cache.DeleteEntries(chosen, everything: false, Log);
        Flush();
        WriteVerbose($"Deleted {outcome.Deleted.Count} cached entries of user {userId} from {cache.Location}.");
        foreach (SiperbCache.NotDeletedEntry entry in outcome.NotDeleted) WriteError(CacheDeletionErrors.For(entry));
    }
}
