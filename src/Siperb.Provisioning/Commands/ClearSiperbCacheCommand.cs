using System.Management.Automation;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Deletes the Siperb disk cache: every entry, or those of one user.</para>
/// </summary>
[Cmdlet(VerbsCommon.Clear, "SiperbCache", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class ClearSiperbCacheCommand : SiperbCmdlet
{
    /// <summary>Delete only this user's sessions, device lists and provisioning.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserIdCompleter))]
    public string? UserId { get; set; }

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
        SiperbCache cache = SiperbCache.Open(Log);
        Flush();
        string what = UserId is null ? "every entry" : $"the entries of user {UserId}";
        if (!ShouldProcess(cache.Location, $"Delete {what} of the Siperb cache")) return;
        SiperbCache.DeleteOutcome outcome = cache.Clear(UserId, Log);
        Flush();
        foreach (SiperbCache.NotDeletedEntry entry in outcome.NotDeleted) WriteError(CacheDeletionErrors.For(entry));
    }
}
