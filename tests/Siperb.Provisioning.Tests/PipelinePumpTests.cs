using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Commands;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>The hand-over from workers to the pipeline thread (PipelinePump): back-pressure and order.</summary>
public class PipelinePumpTests
{
    private static PipelinePump NewPump(List<object> written, CancellationTokenSource cancellation) =>
        new(_ => { }, _ => { }, _ => { }, written.Add, cancellation);

    /// <summary>Far more than any bound that keeps memory small; a pump without one takes them all.</summary>
    private const int ItemsOffered = 200_000;

    [Fact]
    public void A_worker_waits_once_the_bound_of_queued_items_is_reached()
    {
        var written = new List<object>();
        using var cancellation = new CancellationTokenSource();
        PipelinePump pump = NewPump(written, cancellation); // on this (the "pipeline") thread
        int queued = 0;
        var worker = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < ItemsOffered; i++)
                {
                    pump.QueueItem(i, cancellation.Token);
                    Interlocked.Increment(ref queued);
                }
            }
            catch (OperationCanceledException)
            {
                // Released by the test once it has seen the worker wait.
            }
        });
        worker.Start();

        // Nobody pumps: the worker must come to wait (blocked) with exactly the bound queued, not run through.
        // (The 60 s only ends a broken run; the condition is what is awaited.)
        SpinWait.SpinUntil(() => worker.ThreadState.HasFlag(ThreadState.WaitSleepJoin) && Volatile.Read(ref queued) == PipelinePump.MaximumQueuedItems
            || !worker.IsAlive, TimeSpan.FromSeconds(60));
        Assert.True(worker.IsAlive, $"the worker queued all {Volatile.Read(ref queued)} items without anyone taking one");
        Assert.Equal(PipelinePump.MaximumQueuedItems, Volatile.Read(ref queued));

        cancellation.Cancel();
        worker.Join();
        pump.Flush();
        Assert.Equal(PipelinePump.MaximumQueuedItems, written.Count);
        Assert.Equal(0, written[0]);
    }

    [Fact]
    public async Task Items_come_out_in_the_order_a_worker_queued_them()
    {
        var written = new List<object>();
        using var cancellation = new CancellationTokenSource();
        PipelinePump pump = NewPump(written, cancellation);
        Task work = Task.Run(() =>
        {
            for (int i = 0; i < 5000; i++) pump.QueueItem(i, cancellation.Token);
        });
        pump.PumpUntil(work);
        await work;
        Assert.Equal(5000, written.Count);
        for (int i = 0; i < written.Count; i++) Assert.Equal(i, written[i]);
    }
}
