using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// The device list tab completion works from: the session's devices, fetched at most once per
/// <see cref="Lifetime"/> per runspace (a failure is remembered for <see cref="FailureLifetime"/>), in
/// at most <see cref="Timeout"/>. It never logs in, never prompts and never throws: offline, the
/// prompt simply gets no suggestions.
/// </summary>
internal static class CompletionDevices
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan FailureLifetime = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private sealed class Entry
    {
        public Entry(SiperbSession session, DateTime fetchedAt, IReadOnlyList<DeviceData> devices)
        {
            Session = session;
            FetchedAt = fetchedAt;
            Devices = devices;
        }

        /// <summary>The session the list belongs to (a new Get-SiperbSession fetches anew).</summary>
        public SiperbSession Session { get; }

        public DateTime FetchedAt { get; }

        public IReadOnlyList<DeviceData> Devices { get; }

        public bool Failed => Devices.Count == 0;
    }

    private sealed class Holder
    {
        public Entry? Last;
    }

    private static readonly ConditionalWeakTable<Runspace, Holder> s_lists = new();

    /// <summary>The session the completed command would use: its -Session, else the runspace's current one.</summary>
    public static SiperbSession? SessionFor(IDictionary fakeBoundParameters)
    {
        object? given = fakeBoundParameters.Contains("Session") ? fakeBoundParameters["Session"] : null;
        if (given is PSObject wrapped) given = wrapped.BaseObject;
        return given as SiperbSession ?? SessionStore.GetCurrent(Runspace.DefaultRunspace);
    }

    /// <summary>The devices of <paramref name="session"/>'s user, or none.</summary>
    public static IReadOnlyList<DeviceData> Of(SiperbSession? session)
    {
        Runspace? runspace = Runspace.DefaultRunspace;
        if (session is null || runspace is null) return Array.Empty<DeviceData>();
        try
        {
            Holder holder = s_lists.GetOrCreateValue(runspace);
            Entry? last = holder.Last;
            DateTime now = DateTime.UtcNow;
            if (last is not null && ReferenceEquals(last.Session, session) && now - last.FetchedAt < (last.Failed ? FailureLifetime : Lifetime)) return last.Devices;
            var devices = new List<DeviceData>();
            using var cancellation = new CancellationTokenSource(Timeout);
            ApiSession api = session.Api;
            Task<int> listing = Task.Run(() => api.Client.GetDevicesAsync(api.UserId, api.SessionToken,
                device => { lock (devices) devices.Add(device); }, NullClientLog.Instance, cancellation.Token));
            bool done;
            try
            {
                done = listing.Wait(Timeout + TimeSpan.FromMilliseconds(250)) && listing.Status == TaskStatus.RanToCompletion;
            }
            catch (AggregateException)
            {
                done = false;
            }
            if (!done) cancellation.Cancel();
            IReadOnlyList<DeviceData> result;
            lock (devices) result = done ? devices.ToArray() : Array.Empty<DeviceData>();
            holder.Last = new Entry(session, now, result);
            return result;
        }
        catch (Exception)
        {
            // Completion must never fail the prompt.
            return Array.Empty<DeviceData>();
        }
    }

    /// <summary>Only the devices of the platforms the command would list (-Platform, default script).</summary>
    public static IEnumerable<DeviceData> OfPlatforms(IEnumerable<DeviceData> devices, IDictionary fakeBoundParameters, bool honourPlatformParameter)
    {
        string[] platforms = { "script" };
        if (honourPlatformParameter && fakeBoundParameters.Contains("Platform"))
        {
            object? value = fakeBoundParameters["Platform"];
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            platforms = value switch
            {
                string one => new[] { one },
                IEnumerable many => many.Cast<object?>().Select(v => v?.ToString() ?? string.Empty).ToArray(),
                _ => platforms,
            };
        }
        if (platforms.Contains("*")) return devices;
        return devices.Where(d => d.Platform is not null && platforms.Contains(d.Platform, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The devices of the session the command would use (and of the platforms it would list, where
    /// <paramref name="honourPlatformParameter"/>) whose <paramref name="field"/> starts with what was typed.
    /// </summary>
    public static IEnumerable<DeviceData> Matching(IDictionary fakeBoundParameters, string? wordToComplete, bool honourPlatformParameter,
        Func<DeviceData, string?> field)
    {
        string typed = Unquote(wordToComplete);
        return OfPlatforms(Of(SessionFor(fakeBoundParameters)), fakeBoundParameters, honourPlatformParameter)
            .Where(d => !string.IsNullOrEmpty(field(d)) && StartsWith(field(d), typed));
    }

    /// <summary>What was typed so far, without its quotes.</summary>
    public static string Unquote(string? wordToComplete)
    {
        string word = wordToComplete ?? string.Empty;
        if (word.Length > 0 && (word[0] == '\'' || word[0] == '"')) word = word.Substring(1);
        if (word.Length > 0 && (word[word.Length - 1] == '\'' || word[word.Length - 1] == '"')) word = word.Substring(0, word.Length - 1);
        return word;
    }

    /// <summary>The text as an argument: single-quoted when it holds anything PowerShell would read otherwise.</summary>
    public static string Quote(string text)
    {
        bool plain = text.Length > 0 && text[0] != '-' && text.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '%' or '/' or ':' or '+' or '*' or '?');
        if (plain && text.All(c => c < 128)) return text;
        return "'" + text.Replace("'", "''") + "'";
    }

    /// <summary>
    /// Matches case-insensitively at the start, as PowerShell's own completion does; what holds
    /// wildcards (*Tokyo, Lab?Bot) is matched as a pattern with * after it, as for file names.
    /// </summary>
    public static bool StartsWith(string? value, string typed) =>
        value is not null && (WildcardPattern.ContainsWildcardCharacters(typed)
            ? new WildcardPattern(typed + "*", WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant).IsMatch(value)
            : value.StartsWith(typed, StringComparison.OrdinalIgnoreCase));
}
