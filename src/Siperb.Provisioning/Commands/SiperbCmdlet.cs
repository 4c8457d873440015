using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// What every Siperb cmdlet shares: cancellation (Ctrl+C cancels the request in flight), a pump that
/// writes what background work reports on the pipeline thread, session resolution, and the mapping
/// of core failures to error records with stable ids. Every message leaving it is scrubbed.
/// </summary>
public abstract class SiperbCmdlet : PSCmdlet, IDisposable
{
    private const int MaximumQueuedItems = 1024;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly BlockingCollection<PipelineMessage> _messages = new();
    private readonly SemaphoreSlim _itemSlots = new(MaximumQueuedItems, MaximumQueuedItems);
    private readonly List<SiperbClient> _ownedClients = new();
    private readonly Dictionary<string, SiperbSession> _explicitSessions = new(StringComparer.Ordinal);
    private readonly int _pipelineThreadId = Environment.CurrentManagedThreadId;
    private QueueLog? _log;

    /// <summary>Cancelled by StopProcessing (Ctrl+C, or the pipeline being stopped).</summary>
    protected CancellationToken Cancellation => _cancellation.Token;

    /// <summary>
    /// A log the core may call from any thread; the pump writes it on the pipeline thread. Verbose and
    /// debug lines nobody would see (the preference is SilentlyContinue) are dropped at once.
    /// </summary>
    protected IClientLog Log => _log ??= new QueueLog(this,
        IsStreamShown("Verbose", "VerbosePreference"), IsStreamShown("Debug", "DebugPreference"));

    private bool IsStreamShown(string switchName, string preferenceVariable)
    {
        if (MyInvocation.BoundParameters.TryGetValue(switchName, out object? value) && value is SwitchParameter bound)
        {
            return bound.IsPresent;
        }
        object? preference = GetVariableValue(preferenceVariable);
        if (preference is ActionPreference action) return action != ActionPreference.SilentlyContinue && action != ActionPreference.Ignore;
        return !string.Equals(preference?.ToString(), nameof(ActionPreference.SilentlyContinue), StringComparison.OrdinalIgnoreCase)
            && !string.Equals(preference?.ToString(), nameof(ActionPreference.Ignore), StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc/>
    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>
    /// Ends whatever background work is left (the pipeline may have stopped early) and disposes the
    /// clients of explicit sessions. The cancellation source and the item semaphore are left to the
    /// garbage collector: a worker that is still finishing may touch them.
    /// </summary>
    public void Dispose()
    {
        _cancellation.Cancel();
        foreach (SiperbClient client in _ownedClients) client.Dispose();
        _ownedClients.Clear();
    }

    /// <summary>
    /// Waits for <paramref name="task"/> on the pipeline thread, writing what it reports meanwhile;
    /// returns its result, or stops the pipeline when it was cancelled by Ctrl+C.
    /// </summary>
    protected T Await<T>(Task<T> task)
    {
        Pump(task);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Writes everything background work has queued so far, without waiting.</summary>
    protected void Flush()
    {
        while (_messages.TryTake(out PipelineMessage message)) Handle(message);
    }

    /// <summary>
    /// Hands an item to the pipeline thread: from a worker it is queued (waiting while too many are
    /// queued); on the pipeline thread itself (an answer already buffered completes synchronously)
    /// it is handled at once, since waiting there for the pipeline thread would wait forever.
    /// </summary>
    protected void QueueItem(object item, CancellationToken cancellationToken)
    {
        if (Environment.CurrentManagedThreadId == _pipelineThreadId)
        {
            Flush();
            OnItem(item);
            return;
        }
        _itemSlots.Wait(cancellationToken);
        _messages.Add(PipelineMessage.Item(item));
    }

    /// <summary>Called on the pipeline thread for each item queued with <see cref="QueueItem"/>.</summary>
    protected virtual void OnItem(object item) => WriteObject(item);

    private void Pump(Task task)
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

    private void Handle(PipelineMessage message)
    {
        switch (message.Kind)
        {
            case MessageKind.Verbose:
                WriteVerbose(SecretScrubber.Scrub(message.Text));
                break;
            case MessageKind.Debug:
                WriteDebug(SecretScrubber.Scrub(message.Text));
                break;
            case MessageKind.Warning:
                WriteWarning(SecretScrubber.Scrub(message.Text));
                break;
            case MessageKind.Item:
                _itemSlots.Release();
                OnItem(message.Payload!);
                break;
        }
    }

    /// <summary>The base URI: the parameter, else SIPERB_API_BASE_URI, else production; validated.</summary>
    protected Uri ResolveApiBaseUri(Uri? parameter)
    {
        Uri? chosen = parameter;
        if (chosen is null)
        {
            string? fromEnvironment = EnvironmentVariables.Read(EnvironmentVariables.ApiBaseUri);
            if (fromEnvironment is not null)
            {
                if (!Uri.TryCreate(fromEnvironment.Trim(), UriKind.Absolute, out chosen))
                {
                    ThrowInvalidArgument($"The environment variable {EnvironmentVariables.ApiBaseUri} is not an absolute URI. Set it to a URI such as https://api.siperb.com, or pass -ApiBaseUri.", fromEnvironment);
                }
            }
        }
        try
        {
            return InputValidation.NormalizeApiBaseUri(chosen);
        }
        catch (SiperbApiException e)
        {
            ThrowTerminatingError(ToErrorRecord(e, chosen));
            throw; // not reached
        }
    }

    /// <summary>
    /// Makes a session from <paramref name="accessToken"/> and makes it this runspace's current one:
    /// the current session when it came from the same token and base URI; else, for the CurrentUser
    /// scope, a fresh session from the disk cache; else a login (for CurrentUser a double-checked
    /// one under the cache lock, so that many processes starting at once log in once). Unless
    /// <paramref name="force"/> asks for a new login. Failures are terminating.
    /// </summary>
    protected SiperbSession LogIn(string accessToken, Uri apiBaseUri, ConnectionSettings? settings, bool force, SiperbSessionScope scope)
    {
        try
        {
            InputValidation.ValidateHeaderToken(accessToken, "access token");
        }
        catch (SiperbApiException e)
        {
            ThrowTerminatingError(ToErrorRecord(e, null));
        }
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        if (!force && settings is null && current is not null && current.Scope == scope && current.Api.WasMadeFrom(apiBaseUri, accessToken))
        {
            WriteVerbose($"Using the current session of user {current.UserId}; pass -Force to log in again.");
            return current;
        }
        var client = new SiperbClient(apiBaseUri, settings ?? ConnectionSettings.Default);
        try
        {
            ApiSession api = scope == SiperbSessionScope.CurrentUser
                ? LogInThroughCache(client, accessToken, force)
                : Await(ApiSession.LoginAsync(client, accessToken, Log, Cancellation));
            var session = new SiperbSession(api, scope);
            SessionStore.SetCurrent(Runspace.DefaultRunspace, session);
            return session;
        }
        catch (SiperbApiException e)
        {
            client.Dispose();
            ThrowTerminatingError(ToErrorRecord(e, null));
            throw; // not reached
        }
    }

    private ApiSession LogInThroughCache(SiperbClient client, string accessToken, bool force)
    {
        SiperbCache cache = SiperbCache.Open(Log);
        string hash = ApiSession.HashAccessToken(client.BaseUri, accessToken);
        ApiSession? cached = force ? null : FromCache(cache, client, accessToken, hash);
        if (cached is null)
        {
            // Double-checked: whoever holds the lock logs in and writes; the others find its entry.
            TimeSpan wait = TimeSpan.FromSeconds(Math.Min(client.Settings.TimeoutSec * 2, 120));
            using IDisposable? held = cache.TryLock(wait, Cancellation);
            if (held is null) WriteVerbose("The Siperb cache stayed locked; logging in without it.");
            if (!force && held is not null) cached = FromCache(cache, client, accessToken, hash);
            if (cached is null)
            {
                cached = Await(ApiSession.LoginAsync(client, accessToken, Log, Cancellation));
                if (held is not null) cache.WriteSession(hash, cached, Log, lockHeld: true);
                Flush();
            }
        }
        cached.Renewed += (_, e) => SiperbCache.Open(e.Log).WriteSession(hash, cached, e.Log);
        cached.Invalidated += (_, e) => SiperbCache.Open(e.Log).Delete(SiperbCache.SessionKey(hash));
        return cached;
    }

    private ApiSession? FromCache(SiperbCache cache, SiperbClient client, string accessToken, string hash)
    {
        SiperbCache.SessionRecord? record = cache.ReadFreshSession(hash, Log);
        Flush();
        if (record is null) return null;
        WriteVerbose($"Using the cached session of user {record.UserId} from {record.CreatedAt:u}; no login needed.");
        return new ApiSession(client, record.UserId, record.SessionToken, accessToken, record.CreatedAt, record.LoginFields);
    }

    /// <summary>
    /// The session to use: <paramref name="given"/>; else -UserId/-SessionToken; else the runspace's
    /// current session; else a login with SIPERB_ACCESS_TOKEN; else a terminating NoSession error.
    /// </summary>
    protected SiperbSession ResolveSession(SiperbSession? given, string? userId, SecureString? sessionToken, Uri? apiBaseUri)
    {
        if (ParameterSetName == ParameterSets.UserIdAndSessionToken)
        {
            return ExplicitSession(userId, sessionToken!, apiBaseUri);
        }
        if (given is not null) return given;
        SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
        if (current is not null) return current;
        string? fromEnvironment = EnvironmentVariables.Read(EnvironmentVariables.AccessToken);
        if (fromEnvironment is not null)
        {
            WriteVerbose($"No session in this runspace; logging in with {EnvironmentVariables.AccessToken}.");
            return LogIn(fromEnvironment.Trim(), ResolveApiBaseUri(null), null, force: false, SiperbSessionScope.CurrentUser);
        }
        ThrowTerminatingError(new ErrorRecord(
            new InvalidOperationException($"There is no Siperb session in this runspace. Run Get-SiperbSession -AccessToken <token> first, pass -Session, pass -UserId and -SessionToken, or set the environment variable {EnvironmentVariables.AccessToken}."),
            ErrorIds.NoSession, ErrorCategory.AuthenticationError, null));
        throw new InvalidOperationException(); // not reached
    }

    private SiperbSession ExplicitSession(string? userId, SecureString sessionToken, Uri? apiBaseUri)
    {
        Uri baseUri = ResolveApiBaseUri(apiBaseUri);
        string token = SecureText.ToPlain(sessionToken);
        try
        {
            InputValidation.ValidateUserId(userId);
            InputValidation.ValidateHeaderToken(token, "SessionToken");
        }
        catch (SiperbApiException e)
        {
            ThrowTerminatingError(ToErrorRecord(e, userId));
        }
        string key = baseUri.AbsoluteUri + "\n" + userId + "\n" + ApiSession.HashAccessToken(baseUri, token);
        if (_explicitSessions.TryGetValue(key, out SiperbSession? known)) return known;
        var client = new SiperbClient(baseUri);
        _ownedClients.Add(client);
        var session = new SiperbSession(new ApiSession(client, userId!, token, accessToken: null, DateTimeOffset.UtcNow), SiperbSessionScope.Process);
        _explicitSessions[key] = session;
        return session;
    }

    /// <summary>Throws a terminating InvalidArgument error.</summary>
    protected void ThrowInvalidArgument(string message, object? target)
    {
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(SecretScrubber.Scrub(message)), ErrorIds.InvalidArgument,
            ErrorCategory.InvalidArgument, target));
    }

    /// <summary>
    /// Turns a core failure into an error record with a stable id and a real category; the target is
    /// the item (device token, user id).
    /// </summary>
    protected static ErrorRecord ToErrorRecord(SiperbApiException e, object? target, string notFoundId = ErrorIds.NotFound)
    {
        (string id, ErrorCategory category) = e.Kind switch
        {
            SiperbErrorKind.InvalidArgument => (ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument),
            SiperbErrorKind.AccessTokenRejected => (ErrorIds.AccessTokenRejected, ErrorCategory.AuthenticationError),
            SiperbErrorKind.SessionRejected => (ErrorIds.SessionRejected, ErrorCategory.AuthenticationError),
            SiperbErrorKind.PermissionDenied => (ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied),
            SiperbErrorKind.NotFound => (notFoundId, ErrorCategory.ObjectNotFound),
            SiperbErrorKind.ServiceUnavailable => (ErrorIds.ServiceUnavailable, ErrorCategory.ResourceUnavailable),
            SiperbErrorKind.RetryAfterTooLong => (ErrorIds.RetryAfterTooLong, ErrorCategory.ResourceUnavailable),
            SiperbErrorKind.ConnectionFailed => (ErrorIds.ConnectionFailed, ErrorCategory.ConnectionError),
            SiperbErrorKind.Timeout => (ErrorIds.RequestTimedOut, ErrorCategory.OperationTimeout),
            SiperbErrorKind.InvalidResponse => (ErrorIds.InvalidResponse, ErrorCategory.InvalidData),
            _ => (ErrorIds.RequestRejected, ErrorCategory.InvalidOperation),
        };
        return new ErrorRecord(e, id, category, target);
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

    private sealed class QueueLog : IClientLog
    {
        private readonly SiperbCmdlet _owner;
        private readonly bool _verbose;
        private readonly bool _debug;

        public QueueLog(SiperbCmdlet owner, bool verbose, bool debug)
        {
            _owner = owner;
            _verbose = verbose;
            _debug = debug;
        }

        public void Verbose(string message)
        {
            if (_verbose) _owner._messages.Add(PipelineMessage.Log(MessageKind.Verbose, message));
        }

        public void Debug(string message)
        {
            if (_debug) _owner._messages.Add(PipelineMessage.Log(MessageKind.Debug, message));
        }

        public void Warning(string message) => _owner._messages.Add(PipelineMessage.Log(MessageKind.Warning, message));
    }
}
