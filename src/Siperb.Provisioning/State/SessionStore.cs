using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace Siperb.Provisioning.State;

/// <summary>
/// The current session of each runspace. Never a process-wide static: ForEach-Object -Parallel,
/// thread jobs and runbook jobs sharing a process each see only their own session. An entry goes
/// away with its runspace.
/// </summary>
internal static class SessionStore
{
    private sealed class Holder
    {
        public SiperbSession? Current;
    }

    private static readonly ConditionalWeakTable<Runspace, Holder> s_sessions = new();

    public static SiperbSession? GetCurrent(Runspace? runspace)
    {
        if (runspace is null) return null;
        return s_sessions.TryGetValue(runspace, out Holder? holder) ? holder.Current : null;
    }

    public static void SetCurrent(Runspace? runspace, SiperbSession? session)
    {
        if (runspace is null) return;
        s_sessions.GetOrCreateValue(runspace).Current = session;
    }
}
