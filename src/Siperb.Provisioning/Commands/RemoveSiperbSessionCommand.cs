using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Forgets this runspace's current Siperb session.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SiperbSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
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
        if (ShouldProcess(current.ToString(), "Forget the Siperb session"))
        {
            SessionStore.SetCurrent(Runspace.DefaultRunspace, null);
        }
    }
}
