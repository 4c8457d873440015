using System;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Reads a JSON array from a stream one element at a time, as the bytes arrive, so that a list of
/// 100,000 devices is never held whole: memory is bounded by the largest single element.
/// </summary>
internal static class JsonArrayReader
{
    private const int InitialBufferSize = 64 * 1024;

    /// <summary>Largest single element accepted.</summary>
    internal const int MaximumElementSize = 4 * 1024 * 1024;

    /// <summary>
    /// Calls <paramref name="onElement"/> for every element of the top-level array. Throws
    /// <see cref="FormatException"/> when the body is not a JSON array of objects, and
    /// <see cref="ResponseTooLargeException"/> past <paramref name="maximumBytes"/>.
    /// </summary>
    public static async Task<int> ReadObjectsAsync(Stream stream, Action<JsonElement> onElement, long maximumBytes,
        CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[InitialBufferSize];
        int filled = 0;
        long total = 0;
        var state = new ParseState();
        while (true)
        {
            int read = await stream.ReadAsync(buffer, filled, buffer.Length - filled, cancellationToken).ConfigureAwait(false);
            bool final = read == 0;
            total += read;
            if (total > maximumBytes) throw new ResponseTooLargeException(maximumBytes);
            filled += read;

            int consumed = Parse(new ReadOnlySpan<byte>(buffer, 0, filled), final, ref state, onElement);
            if (consumed > 0)
            {
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
            if (state.Done)
            {
                if (!OnlyWhiteSpace(buffer, filled)) throw new FormatException("text follows the end of the array");
                // Anything more the server sends is read and must be white space as well.
                while ((read = await stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > maximumBytes) throw new ResponseTooLargeException(maximumBytes);
                    if (!OnlyWhiteSpace(buffer, read)) throw new FormatException("text follows the end of the array");
                }
                return state.Count;
            }
            if (final) throw new FormatException(state.Started ? "the array ends early" : "the body is empty");
            if (filled == buffer.Length)
            {
                if (buffer.Length >= MaximumElementSize) throw new FormatException("one element of the array is too large");
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaximumElementSize));
            }
        }
    }

    private struct ParseState
    {
        public JsonReaderState Reader;
        public bool Started;
        public bool Done;
        public int Count;
    }

    private static int Parse(ReadOnlySpan<byte> data, bool final, ref ParseState state, Action<JsonElement> onElement)
    {
        var reader = new Utf8JsonReader(data, final, state.Reader);
        try
        {
            if (!state.Started)
            {
                if (ByteOrderMarkLength(data) > 0)
                {
                    return ByteOrderMarkLength(data); // a UTF-8 byte order mark is tolerated
                }
                if (data.Length < 3 && !final && data.Length > 0 && data[0] == 0xEF) return 0;
                if (!reader.Read()) return 0;
                if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException("the body is not a JSON array");
                state.Started = true;
            }
            while (true)
            {
                JsonReaderState checkpoint = reader.CurrentState;
                int checkpointBytes = (int)reader.BytesConsumed;
                if (!reader.Read())
                {
                    state.Reader = checkpoint;
                    return checkpointBytes;
                }
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    state.Done = true;
                    state.Reader = reader.CurrentState;
                    return (int)reader.BytesConsumed;
                }
                if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("an element of the array is not a JSON object");
                Utf8JsonReader probe = reader;
                if (!probe.TrySkip())
                {
                    state.Reader = checkpoint;
                    return checkpointBytes;
                }
                using (JsonDocument element = JsonDocument.ParseValue(ref reader))
                {
                    onElement(element.RootElement);
                }
                state.Count++;
            }
        }
        catch (JsonException e)
        {
            throw new FormatException("the body is not valid JSON", e);
        }
    }

    /// <summary>3 when <paramref name="data"/> starts with a UTF-8 byte order mark (tolerated before JSON), else 0.</summary>
    internal static int ByteOrderMarkLength(ReadOnlySpan<byte> data) =>
        data.Length >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF ? 3 : 0;

    private static bool OnlyWhiteSpace(byte[] buffer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            byte b = buffer[i];
            if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r' && b != (byte)'\n') return false;
        }
        return true;
    }
}
