using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Deletes entries of the Siperb disk cache: all of them, one user's, the expired ones, or those older PATs of the current user left.</para>
/// <para type="description">The only cmdlet besides Remove-SiperbSession that deletes cache files. -PassThru names what went.</para>
/// </summary>
[Cmdlet(VerbsCommon.Clear, "SiperbCache", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = All)]
[OutputType(typeof(SiperbCacheEntry))]
public sealed class ClearSiperbCacheCommand : SiperbCmdlet
{
    private const string All = nameof(All);
    private const string ByUser = nameof(UserId);
    private const string ByExpiry = nameof(Expired);
    private const string ByRotation = nameof(Superseded);

    /// <summary>Delete only this user's sessions, device lists and provisioning.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByUser)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserIdCompleter))]
    public string? UserId { get; set; }

    /// <summary>
    /// Delete the expired cached sessions, and the device lists and provisioning no usable cached
    /// session (nor this runspace's session) can answer any more.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ByExpiry)]
    public SwitchParameter Expired { get; set; }

    /// <summary>
    /// After a PAT rotation: delete the current user's other cached sessions (those of older PATs) and
    /// every device list and provisioning stored under them; keep the current session and its entries.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ByRotation)]
    public SwitchParameter Superseded { get; set; }

    /// <summary>Write one object per deleted entry (kind, user, time stored, reason; never its content).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (UserId is not null)
        {
            try
            {
                InputValidation.ValidateUserId(UserId);
            }
            catch (SiperbApiException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, UserId));
            }
        }
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        if (ParameterSetName == ByRotation && current is null)
        {
            ThrowTerminatingError(SessionErrors.NoSession("Clear-SiperbCache -Superseded keeps the current session and deletes what older ones left. "));
        }
        SiperbCache cache = SiperbCache.Open(Log);
        Flush();
        IReadOnlyList<SiperbCache.ListedEntry> entries = cache.ListEntries();
        List<SiperbCache.ListedEntry> chosen = ParameterSetName switch
        {
            ByUser => CachedSessions.OfUser(entries, UserId!),
            ByExpiry => CachedSessions.Expired(entries, DateTimeOffset.UtcNow, current is null ? null : CacheCredential.Of(current.Api)),
            ByRotation => CachedSessions.Superseded(entries, current!.Api),
            _ => entries.ToList(),
        };
        if (!ShouldProcess(cache.Location, $"Delete {Describe(chosen)} of the Siperb cache")) return;
        SiperbCache.DeleteOutcome outcome = cache.DeleteEntries(chosen, everything: ParameterSetName == All, Log);
        Flush();
        WriteVerbose($"Deleted {outcome.Deleted.Count} of {chosen.Count} chosen entries from {cache.Location}.");
        foreach (SiperbCache.NotDeletedEntry entry in outcome.NotDeleted) WriteError(CacheDeletionErrors.For(entry));
        if (PassThru)
        {
            foreach (SiperbCache.ListedEntry entry in outcome.Deleted) WriteObject(new SiperbCacheEntry(entry, ParameterSetName));
        }
    }

    /// <summary>"every entry (3)", "2 sessions, 1 device list and 55 provisioning entries of user ... stored for older PATs".</summary>
    private string Describe(List<SiperbCache.ListedEntry> chosen)
    {
        if (ParameterSetName == All) return $"every entry ({chosen.Count})";
        int sessions = chosen.Count(e => e.Entry?.Kind == SiperbCache.SessionKind);
        int lists = chosen.Count(e => e.Entry?.Kind == SiperbCache.DevicesKind);
        int provisioning = chosen.Count(e => e.Entry?.Kind == SiperbCache.ProvisioningKind);
        int other = chosen.Count - sessions - lists - provisioning;
        string counts = $"{sessions} sessions, {lists} device lists, {provisioning} provisioning entries{(other == 0 ? string.Empty : $" and {other} unreadable entries")}";
        return ParameterSetName switch
        {
            ByUser => $"{counts} of user {UserId}",
            ByExpiry => $"{counts} that have expired or that no usable session can answer",
            _ => $"{counts} of user {SessionStore.GetCurrent(Runspace.DefaultRunspace)!.UserId} left by older access tokens",
        };
    }
}
