using System;
using System.Diagnostics;
using System.Threading;

namespace Siperb.Provisioning.Api;

/// <summary>The time budget of one call (every attempt and wait together).</summary>
internal sealed class CallClock
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public CallClock(TimeSpan budget) => Budget = budget;

    public TimeSpan Budget { get; }

    /// <summary>What is left of the budget (negative when overspent).</summary>
    public TimeSpan Left => Budget - _clock.Elapsed;

    /// <summary>What is left of the budget; the call's Timeout failure when nothing is.</summary>
    public TimeSpan LeftOrThrow(RequestSpec request)
    {
        TimeSpan left = Left;
        if (left > TimeSpan.Zero) return left;
        throw new SiperbApiException(SiperbErrorKind.Timeout,
            $"{request.Describe()} did not succeed within {Budget.TotalSeconds:0} seconds.", remedy: SiperbRemedy.RaiseTimeout);
    }
}
