using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>
/// An event a test can await instead of guessing a delay: <see cref="Reached"/> completes once
/// <see cref="Signal"/> was called <c>expected</c> times, from any thread.
/// </summary>
internal sealed class Countdown
{
    private readonly int _expected;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public Countdown(int expected) => _expected = expected;

    public Task Reached => _reached.Task;

    public void Signal()
    {
        if (Interlocked.Increment(ref _count) >= _expected) _reached.TrySetResult();
    }
}
