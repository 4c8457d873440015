using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Forgets this runspace's current Siperb session and deletes its cached copy from disk.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SiperbSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[Alias("Disconnect-Siperb")]
[OutputType(typeof(void))]
public sealed class RemoveSiperbSessionCommand : SiperbCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        if (current is null)
        {
            WriteVerbose("There is no session in this runspace.");
            return;
        }
        if (!ShouldProcess(current.ToString(), "Forget the Siperb session and delete its cached copy")) return;
        SessionStore.SetCurrent(Runspace.DefaultRunspace, null);
        if (current.Scope == SiperbSessionScope.CurrentUser && current.Api.AccessTokenHash is not null)
        {
            SiperbCache cache = SiperbCache.Open(Log);
            cache.Delete(SiperbCache.SessionKey(current.Api.AccessTokenHash));
            Flush();
            WriteVerbose($"Deleted the cached session of user {current.UserId} from {cache.Location}.");
        }
    }
}
