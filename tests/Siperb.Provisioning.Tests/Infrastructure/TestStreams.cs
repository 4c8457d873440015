using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>
/// A read-only, non-seekable stream (so HttpContent has no Content-Length) that hands out at most
/// <c>chunkSize</c> bytes per read; optionally breaks with an IOException or stalls after some bytes.
/// </summary>
internal sealed class ChunkedStream : Stream
{
    private readonly byte[] _data;
    private readonly int _chunkSize;
    private int _position;

    public ChunkedStream(byte[] data, int chunkSize = int.MaxValue)
    {
        _data = data;
        _chunkSize = Math.Max(1, chunkSize);
    }

    public ChunkedStream(string text, int chunkSize = int.MaxValue)
        : this(System.Text.Encoding.UTF8.GetBytes(text), chunkSize)
    {
    }

    /// <summary>After this many bytes a read throws IOException (a connection reset mid-body).</summary>
    public int? FailAfterBytes { get; init; }

    /// <summary>After this many bytes a read waits until it is cancelled (a server that stops sending).</summary>
    public int? StallAfterBytes { get; init; }

    public int BytesServed => Volatile.Read(ref _position);

    public int Reads { get; private set; }

    public bool Disposed { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (StallAfterBytes is int stall && _position >= stall)
        {
            Thread.Sleep(Timeout.Infinite);
        }
        return ReadCore(buffer.AsSpan(offset, count));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (StallAfterBytes is int stall && _position >= stall)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
        return ReadCore(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int ReadCore(Span<byte> destination)
    {
        if (Disposed) throw new ObjectDisposedException(nameof(ChunkedStream));
        Reads++;
        if (FailAfterBytes is int fail && _position >= fail)
        {
            throw new IOException("The connection was reset by the scripted server.");
        }
        int limit = _data.Length - _position;
        if (FailAfterBytes is int failAt) limit = Math.Min(limit, failAt - _position);
        if (StallAfterBytes is int stallAt) limit = Math.Min(limit, stallAt - _position);
        int n = Math.Min(Math.Min(destination.Length, _chunkSize), limit);
        _data.AsSpan(_position, n).CopyTo(destination);
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
