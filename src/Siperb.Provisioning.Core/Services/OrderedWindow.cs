using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Services;

/// <summary>
/// The outcome of one item of an <see cref="OrderedWindow{TItem, TResult}"/>: its result, or the
/// exception that ended its work (the other items go on).
/// </summary>
internal sealed class WindowOutcome<TItem, TResult>
{
    private WindowOutcome(TItem item, TResult? result, Exception? error)
    {
        Item = item;
        Result = result;
        Error = error;
    }

    public static WindowOutcome<TItem, TResult> Succeeded(TItem item, TResult result) => new(item, result, null);

    public static WindowOutcome<TItem, TResult> Failed(TItem item, Exception error) => new(item, default, error);

    /// <summary>The item as it was added.</summary>
    public TItem Item { get; }

    /// <summary>The work's result; default when <see cref="Error"/> is set.</summary>
    public TResult? Result { get; }

    /// <summary>What ended the item's work, or null.</summary>
    public Exception? Error { get; }
}

/// <summary>
/// The ordered fan-out of the cmdlets that work on many devices: at most <see cref="Limit"/> items
/// run at once, outcomes come out in the order the items went in, and one item's failure is that
/// item's outcome, not the end of the others. Only cancellation of the window's token ends it: the
/// head then completes as cancelled.
/// <para>
/// Not thread-safe: one caller (the pipeline thread) adds and takes. Waiting is the caller's
/// (<c>wait</c>), so a cmdlet can write what background work reports while it waits.
/// </para>
/// </summary>
internal sealed class OrderedWindow<TItem, TResult>
{
    private readonly Queue<Task<WindowOutcome<TItem, TResult>>> _running = new();
    private readonly Func<TItem, CancellationToken, Task<TResult>> _work;
    private readonly CancellationToken _cancellationToken;

    /// <summary>A window running <paramref name="work"/> for up to <paramref name="limit"/> items at once.</summary>
    public OrderedWindow(int limit, Func<TItem, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), "The window holds one item at least.");
        Limit = limit;
        _work = work ?? throw new ArgumentNullException(nameof(work));
        _cancellationToken = cancellationToken;
    }

    /// <summary>How many items run at once at most.</summary>
    public int Limit { get; }

    /// <summary>Items added whose outcome has not been taken yet.</summary>
    public int Count => _running.Count;

    /// <summary>
    /// Adds <paramref name="item"/>: first, while the window is full, waits for the head (through
    /// <paramref name="wait"/>) and hands its outcome to <paramref name="emit"/>; then starts the item;
    /// then hands on every outcome that is ready at the head, without waiting.
    /// </summary>
    public void Add(TItem item, Func<Task<WindowOutcome<TItem, TResult>>, WindowOutcome<TItem, TResult>> wait,
        Action<WindowOutcome<TItem, TResult>> emit)
    {
        while (_running.Count >= Limit) emit(TakeHead(wait));
        _running.Enqueue(Start(item));
        EmitReady(emit);
    }

    /// <summary>Adds an outcome known without work (a refusal decided up front); it keeps its place in the order.</summary>
    public void AddKnown(WindowOutcome<TItem, TResult> outcome, Func<Task<WindowOutcome<TItem, TResult>>, WindowOutcome<TItem, TResult>> wait,
        Action<WindowOutcome<TItem, TResult>> emit)
    {
        while (_running.Count >= Limit) emit(TakeHead(wait));
        _running.Enqueue(Task.FromResult(outcome));
        EmitReady(emit);
    }

    /// <summary>Hands on every outcome ready at the head, without waiting.</summary>
    public void EmitReady(Action<WindowOutcome<TItem, TResult>> emit)
    {
        while (_running.Count > 0 && _running.Peek().IsCompleted) emit(TakeHead(WaitHere));
    }

    /// <summary>Waits for every item left, handing on the outcomes in order.</summary>
    public void Drain(Func<Task<WindowOutcome<TItem, TResult>>, WindowOutcome<TItem, TResult>> wait, Action<WindowOutcome<TItem, TResult>> emit)
    {
        while (_running.Count > 0) emit(TakeHead(wait));
    }

    private WindowOutcome<TItem, TResult> TakeHead(Func<Task<WindowOutcome<TItem, TResult>>, WindowOutcome<TItem, TResult>> wait)
    {
        Task<WindowOutcome<TItem, TResult>> head = _running.Peek();
        WindowOutcome<TItem, TResult> outcome;
        try
        {
            outcome = wait(head);
        }
        catch
        {
            // Cancelled: the head goes, so that a caller draining after Ctrl+C does not wait on it again.
            _running.Dequeue();
            throw;
        }
        _running.Dequeue();
        return outcome;
    }

    private static WindowOutcome<TItem, TResult> WaitHere(Task<WindowOutcome<TItem, TResult>> task) => task.GetAwaiter().GetResult();

    private Task<WindowOutcome<TItem, TResult>> Start(TItem item)
    {
        Func<TItem, CancellationToken, Task<TResult>> work = _work;
        CancellationToken token = _cancellationToken;
        return Task.Run(async () =>
        {
            try
            {
                return WindowOutcome<TItem, TResult>.Succeeded(item, await work(item, token).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw; // the window's end, not the item's
            }
            catch (Exception e)
            {
                return WindowOutcome<TItem, TResult>.Failed(item, e);
            }
        }, token);
    }
}
