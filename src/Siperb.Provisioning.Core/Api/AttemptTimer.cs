using System;
using System.Diagnostics;
using System.Threading;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The time bound of one attempt: it cancels the attempt after the attempt timeout of time spent
/// waiting for the network. <see cref="Pause"/> stops the clock while the caller's consumer holds the
/// reader (pipeline back-pressure), <see cref="Resume"/> restarts it with what is left.
/// </summary>
internal sealed class AttemptTimer
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TimeSpan _timeout;
    private readonly Stopwatch _running = Stopwatch.StartNew();

    public AttemptTimer(CancellationTokenSource cancellation, TimeSpan timeout)
    {
        _cancellation = cancellation;
        _timeout = timeout;
        cancellation.CancelAfter(timeout);
    }

    /// <summary>Cancelled when the attempt has used up its time (or the call is cancelled).</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>Stops the clock: the time until <see cref="Resume"/> is not counted.</summary>
    public void Pause()
    {
        _running.Stop();
        try
        {
            _cancellation.CancelAfter(Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The attempt is over.
        }
    }

    /// <summary>Restarts the clock with the attempt's time left.</summary>
    public void Resume()
    {
        TimeSpan left = _timeout - _running.Elapsed;
        _running.Start();
        try
        {
            _cancellation.CancelAfter(left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1));
        }
        catch (ObjectDisposedException)
        {
            // The attempt is over.
        }
    }
}
