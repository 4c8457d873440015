using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Hands what background work reports (log lines, output items) to the pipeline thread, the only
/// thread that may write to PowerShell's streams: workers queue, the pipeline thread pumps. Items are
/// bounded (a worker waits while too many are queued), so a slow pipeline slows the reader instead
/// of filling memory. Every log line is scrubbed of secrets before it is written.
/// </summary>
internal sealed class PipelinePump
{
    /// <summary>How many items may wait for the pipeline thread before a worker waits too (back-pressure).</summary>
    internal const int MaximumQueuedItems = 1024;
    private readonly BlockingCollection<PipelineMessage> _messages = new();
    private readonly SemaphoreSlim _itemSlots = new(MaximumQueuedItems, MaximumQueuedItems);
    private readonly int _pipelineThreadId = Environment.CurrentManagedThreadId;
    private readonly Action<string> _writeVerbose;
    private readonly Action<string> _writeDebug;
    private readonly Action<string> _writeWarning;
    private readonly Action<object> _onItem;
    private readonly CancellationTokenSource _cancellation;

    /// <summary>Creates the pump on the pipeline thread; <paramref name="cancellation"/> is cancelled when writing fails.</summary>
    public PipelinePump(Action<string> writeVerbose, Action<string> writeDebug, Action<string> writeWarning, Action<object> onItem,
        CancellationTokenSource cancellation)
    {
        _writeVerbose = writeVerbose;
        _writeDebug = writeDebug;
        _writeWarning = writeWarning;
        _onItem = onItem;
        _cancellation = cancellation;
    }

    /// <summary>A log any thread may call; lines of streams nobody would see are dropped at once.</summary>
    public IClientLog CreateLog(bool verbose, bool debug) => new QueueLog(this, verbose, debug);

    /// <summary>Writes what is queued until <paramref name="task"/> ends, then what is left; cancels the work when writing fails.</summary>
    public void PumpUntil(Task task)
    {
        try
        {
            if (!task.IsCompleted)
            {
                task.ContinueWith(static (_, state) => ((BlockingCollection<PipelineMessage>)state!).Add(PipelineMessage.Wake),
                    _messages, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            while (true)
            {
                Flush();
                if (task.IsCompleted) break;
                Handle(_messages.Take());
            }
            Flush();
        }
        catch
        {
            // The pipeline downstream stopped (Select-Object -First) or writing failed: end the work too.
            _cancellation.Cancel();
            throw;
        }
    }

    /// <summary>Writes everything queued so far, without waiting.</summary>
    public void Flush()
    {
        while (_messages.TryTake(out PipelineMessage message)) Handle(message);
    }

    /// <summary>
    /// Hands an item to the pipeline thread: from a worker it is queued (waiting while too many are
    /// queued); on the pipeline thread itself (an answer already buffered completes synchronously)
    /// it is handled at once, since waiting there for the pipeline thread would wait forever.
    /// </summary>
    public void QueueItem(object item, CancellationToken cancellationToken)
    {
        if (Environment.CurrentManagedThreadId == _pipelineThreadId)
        {
            Flush();
            _onItem(item);
            return;
        }
        _itemSlots.Wait(cancellationToken);
        _messages.Add(PipelineMessage.Item(item));
    }

    private void Handle(PipelineMessage message)
    {
        switch (message.Kind)
        {
            case MessageKind.Verbose:
                _writeVerbose(SecretScrubber.Scrub(message.Text));
                break;
            case MessageKind.Debug:
                _writeDebug(SecretScrubber.Scrub(message.Text));
                break;
            case MessageKind.Warning:
                _writeWarning(SecretScrubber.Scrub(message.Text));
                break;
            case MessageKind.Item:
                _itemSlots.Release();
                _onItem(message.Payload!);
                break;
        }
    }

    private enum MessageKind
    {
        Wake,
        Verbose,
        Debug,
        Warning,
        Item,
    }

    private readonly struct PipelineMessage
    {
        private PipelineMessage(MessageKind kind, string? text, object? payload)
        {
            Kind = kind;
            Text = text;
            Payload = payload;
        }

        public static PipelineMessage Wake => new(MessageKind.Wake, null, null);

        public static PipelineMessage Log(MessageKind kind, string text) => new(kind, text, null);

        public static PipelineMessage Item(object item) => new(MessageKind.Item, null, item);

        public MessageKind Kind { get; }

        public string? Text { get; }

        public object? Payload { get; }
    }

    private sealed class QueueLog : IClientLog, IClientLogLevel
    {
        /// <summary>Debug lines queued but not written yet, at most: past it they are dropped (a registrar flooding -Debug cannot grow memory without bound).</summary>
        private const int MaximumQueuedDebugLines = 10_000;

        private readonly PipelinePump _owner;
        private readonly bool _verbose;
        private readonly bool _debug;

        public QueueLog(PipelinePump owner, bool verbose, bool debug)
        {
            _owner = owner;
            _verbose = verbose;
            _debug = debug;
        }

        public void Verbose(string message)
        {
            if (_verbose) _owner._messages.Add(PipelineMessage.Log(MessageKind.Verbose, message));
        }

        public bool IsDebugEnabled => _debug;

        public void Debug(string message)
        {
            if (_debug && _owner._messages.Count < MaximumQueuedDebugLines) _owner._messages.Add(PipelineMessage.Log(MessageKind.Debug, message));
        }

        public void Warning(string message) => _owner._messages.Add(PipelineMessage.Log(MessageKind.Warning, message));
    }
}
