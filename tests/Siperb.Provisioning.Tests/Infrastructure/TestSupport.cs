using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>A log that keeps every line, for assertions on what would reach -Verbose and -Debug.</summary>
internal sealed class RecordingLog : IClientLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public string All => string.Join("\n", _lines);

    public void Verbose(string message) => _lines.Enqueue("VERBOSE: " + message);

    public void Debug(string message) => _lines.Enqueue("DEBUG: " + message);

    public void Warning(string message) => _lines.Enqueue("WARNING: " + message);
}

internal static class TestApi
{
    public static readonly Uri BaseUri = new("https://api.example.test/");

    public const string UserId = "0123456789abcdef0123456789abcdef";

    /// <summary>Settings for fast tests: no waits between attempts.</summary>
    public static ConnectionSettings Fast(int timeoutSec = 5, int maximumRetryCount = 3, int retryIntervalSec = 0) =>
        new(timeoutSec, maximumRetryCount, retryIntervalSec);

    public static SiperbClient Client(ScriptedHandler handler, ConnectionSettings? settings = null, Uri? baseUri = null) =>
        new(baseUri ?? BaseUri, settings ?? Fast(), handler);

    /// <summary>A secret unique to one test, so that the process-wide scrubber state never links tests.</summary>
    public static string Secret(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    public static List<DeviceData> Collect(out Action<DeviceData> onDevice)
    {
        var list = new List<DeviceData>();
        onDevice = d => { lock (list) list.Add(d); };
        return list;
    }

    public static string[] Segments(string absolutePath) =>
        absolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);

    public static IEnumerable<string> Keys(JsonFields fields) => fields.Select(f => f.Key);
}

/// <summary>Where the repository is, found from the test assembly upwards (the folder holding global.json).</summary>
internal static class TestSupport
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new System.IO.DirectoryInfo(System.AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "global.json"))
                && System.IO.Directory.Exists(System.IO.Path.Combine(dir.FullName, "src"))) return dir.FullName;
        }
        throw new System.InvalidOperationException("The repository root (global.json beside src/) was not found above " + System.AppContext.BaseDirectory);
    }
}
