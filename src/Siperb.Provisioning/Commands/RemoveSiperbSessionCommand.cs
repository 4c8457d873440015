using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Logs out: forgets a Siperb session and deletes its cached copy from disk; -ClearCache also deletes that user's cached devices and provisioning.</para>
/// <para type="description">Without -Session it removes this runspace's current session. Sessions can be piped in (Get-SiperbSession | Remove-SiperbSession).</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SiperbSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[Alias("Disconnect-Siperb")]
[OutputType(typeof(void))]
public sealed class RemoveSiperbSessionCommand : SiperbCmdlet
{
    private SiperbCache? _cache;

    /// <summary>The sessions to remove; default: this runspace's current session.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SiperbSession[]? Session { get; set; }

    /// <summary>Also delete every cached device list and provisioning (SIP passwords) of the session's user.</summary>
    [Parameter]
    public SwitchParameter ClearCache { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
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
}
