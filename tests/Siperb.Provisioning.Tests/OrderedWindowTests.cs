using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Services;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class OrderedWindowTests
{
    private static WindowOutcome<int, int> Wait(Task<WindowOutcome<int, int>> task) => task.GetAwaiter().GetResult();

    [Fact]
    public void Outcomes_come_out_in_input_order_when_later_items_finish_first()
    {
        // Item i finishes only after item i+1 has finished: the reverse of the input order.
        var gates = Enumerable.Range(0, 6).Select(_ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var window = new OrderedWindow<int, int>(6, async (i, ct) =>
        {
            if (i < 5) await gates[i + 1].Task.ConfigureAwait(false);
            gates[i].SetResult(true);
            return i * 10;
        }, CancellationToken.None);
        var emitted = new List<int>();
        foreach (int i in Enumerable.Range(0, 6)) window.Add(i, Wait, o => emitted.Add(o.Result));
        window.Drain(Wait, o => emitted.Add(o.Result));
        Assert.Equal(new[] { 0, 10, 20, 30, 40, 50 }, emitted);
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void Never_runs_more_than_the_limit_at_once_and_waits_for_the_head_when_full()
    {
        int running = 0, most = 0, released = 0;
        var gates = Enumerable.Range(0, 10).Select(_ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var window = new OrderedWindow<int, int>(3, async (i, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await gates[i].Task.ConfigureAwait(false);
            Interlocked.Decrement(ref running);
            return i;
        }, CancellationToken.None);
        var waits = new List<int>();
        var emitted = new List<int>();
        Func<Task<WindowOutcome<int, int>>, WindowOutcome<int, int>> wait = task =>
        {
            waits.Add(window.Count);
            gates[released++].SetResult(true); // items finish only when let go, in order: the head is the next one
            return task.GetAwaiter().GetResult();
        };
        foreach (int i in Enumerable.Range(0, 10)) window.Add(i, wait, o => emitted.Add(o.Result));
        Assert.All(waits, count => Assert.Equal(3, count)); // it waited only while full
        Assert.True(window.Count <= 3);
        window.Drain(wait, o => emitted.Add(o.Result));
        Assert.Equal(Enumerable.Range(0, 10), emitted);
        Assert.InRange(most, 1, 3);
    }

    [Fact]
    public void One_item_failing_is_that_items_outcome_and_the_others_go_on()
    {
        var window = new OrderedWindow<int, int>(4, (i, ct) => i == 2 ? throw new InvalidOperationException("item 2 broke") : Task.FromResult(i),
            CancellationToken.None);
        var outcomes = new List<WindowOutcome<int, int>>();
        foreach (int i in Enumerable.Range(0, 5)) window.Add(i, Wait, outcomes.Add);
        window.Drain(Wait, outcomes.Add);
        Assert.Equal(Enumerable.Range(0, 5), outcomes.Select(o => o.Item));
        Assert.IsType<InvalidOperationException>(outcomes[2].Error);
        Assert.All(outcomes.Where(o => o.Item != 2), o => Assert.Null(o.Error));
        Assert.Equal(4, outcomes[4].Result);
    }

    [Fact]
    public void A_known_outcome_keeps_its_place_in_the_order()
    {
        var window = new OrderedWindow<int, int>(2, async (i, ct) => { await Task.Yield(); return i; }, CancellationToken.None);
        var items = new List<int>();
        window.Add(0, Wait, o => items.Add(o.Item));
        window.AddKnown(WindowOutcome<int, int>.Failed(1, new ArgumentException("refused up front")), Wait, o => items.Add(o.Item));
        window.Add(2, Wait, o => items.Add(o.Item));
        window.Drain(Wait, o => items.Add(o.Item));
        Assert.Equal(new[] { 0, 1, 2 }, items);
    }

    [Fact]
    public async Task Cancelling_ends_the_work_in_flight_and_the_head_throws()
    {
        using var cancellation = new CancellationTokenSource();
        int started = 0;
        var allStarted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var window = new OrderedWindow<int, int>(3, async (i, ct) =>
        {
            if (Interlocked.Increment(ref started) == 3) allStarted.SetResult(true);
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            return i;
        }, cancellation.Token);
        var emitted = new List<int>();
        foreach (int i in Enumerable.Range(0, 3)) window.Add(i, Wait, o => emitted.Add(o.Item));
        await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => window.Drain(Wait, o => emitted.Add(o.Item)));
        Assert.Empty(emitted);
        Assert.Equal(2, window.Count); // the cancelled head left the window
    }

    [Fact]
    public void A_limit_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new OrderedWindow<int, int>(0, (i, ct) => Task.FromResult(i), CancellationToken.None));

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
