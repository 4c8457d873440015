using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// What every Siperb cmdlet shares: cancellation (Ctrl+C cancels the request in flight), waiting for
/// background work while its reports are written on the pipeline thread (<see cref="PipelinePump"/>),
/// and session resolution (logins go through <see cref="SessionService"/>); core failures become error
/// records through <see cref="ErrorMapping"/>. Every message leaving it is scrubbed.
/// </summary>
public abstract class SiperbCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly List<SiperbClient> _ownedClients = new();
    private readonly Dictionary<string, SiperbSession> _explicitSessions = new(StringComparer.Ordinal);
    private readonly PipelinePump _pump;
    private IClientLog? _log;

    /// <summary>Only this assembly's cmdlets derive from this class.</summary>
    private protected SiperbCmdlet()
    {
        _pump = new PipelinePump(WriteVerbose, WriteDebug, WriteWarning, item => OnItem(item), _cancellation);
    }

    /// <summary>Cancelled by StopProcessing (Ctrl+C, or the pipeline being stopped).</summary>
    private protected CancellationToken Cancellation => _cancellation.Token;

    /// <summary>
    /// A log the core may call from any thread; the pump writes it on the pipeline thread. Verbose and
    /// debug lines nobody would see (the preference is SilentlyContinue) are dropped at once.
    /// </summary>
    private protected IClientLog Log => _log ??= _pump.CreateLog(
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
    /// clients of explicit sessions. The cancellation source and the pump are left to the garbage
    /// collector: a worker that is still finishing may touch them.
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
    private protected T Await<T>(Task<T> task)
    {
        _pump.PumpUntil(task);
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
    private protected void Flush() => _pump.Flush();

    /// <summary>
    /// Hands an item to the pipeline thread (<see cref="OnItem"/>): from a worker it is queued, waiting
    /// while too many are queued; on the pipeline thread itself it is handled at once.
    /// </summary>
    private protected void QueueItem(object item, CancellationToken cancellationToken) => _pump.QueueItem(item, cancellationToken);

    /// <summary>Called on the pipeline thread for each item queued with <see cref="QueueItem"/>.</summary>
    private protected virtual void OnItem(object item) => WriteObject(item);

    /// <summary>The base URI: the parameter, else SIPERB_API_BASE_URI, else production; validated.</summary>
    private protected Uri ResolveApiBaseUri(Uri? parameter)
    {
        Uri? chosen = parameter;
        if (chosen is null)
        {
            string? fromEnvironment = EnvironmentVariables.Read(EnvironmentVariables.ApiBaseUri);
            if (fromEnvironment is not null)
            {
                if (!Uri.TryCreate(fromEnvironment.Trim(), UriKind.Absolute, out chosen))
                {
                    // The target names the variable, not its value: an unusable value may still hold a credential.
                    ThrowInvalidArgument($"The environment variable {EnvironmentVariables.ApiBaseUri} is not an absolute URI. Set it to a URI such as https://api.siperb.com, or pass -ApiBaseUri.", EnvironmentVariables.ApiBaseUri);
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
    private protected SiperbSession Login(string accessToken, Uri apiBaseUri, ConnectionSettings? settings, bool force, SiperbSessionScope scope)
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
            bool useDiskCache = scope == SiperbSessionScope.CurrentUser;
            IClientLog log = Log;
            ApiSession api = Await(Task.Run(() => SessionService.Default.LoginAsync(client, accessToken, useDiskCache, force, log, Cancellation)));
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
        catch
        {
            client.Dispose(); // whatever else ended the login (Ctrl+C included), the client goes with it
            throw;
        }
    }

    /// <summary>
    /// The session to use: <paramref name="given"/>; else -UserId/-SessionToken; else the runspace's
    /// current session; else a login with SIPERB_ACCESS_TOKEN; else a terminating NoSession error.
    /// </summary>
    private protected SiperbSession ResolveSession(SiperbSession? given, string? userId, SecureString? sessionToken, Uri? apiBaseUri)
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
            return Login(fromEnvironment.Trim(), ResolveApiBaseUri(null), null, force: false, SiperbSessionScope.CurrentUser);
        }
        ThrowTerminatingError(ErrorMapping.Failure(ErrorIds.NoSession, ErrorCategory.AuthenticationError, null,
            $"There is no Siperb session in this runspace. Run Get-SiperbSession -AccessToken <token> first, pass -Session, pass -UserId and -SessionToken, or set the environment variable {EnvironmentVariables.AccessToken}.",
            message => new InvalidOperationException(message)));
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
    private protected void ThrowInvalidArgument(string message, object? target)
    {
        ThrowTerminatingError(ErrorMapping.Failure(ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, target, message,
            scrubbed => new ArgumentException(scrubbed)));
    }

    /// <summary>Forwards to <see cref="ErrorMapping.ToErrorRecord"/>: a stable id, a real category, the item as target.</summary>
    private protected static ErrorRecord ToErrorRecord(SiperbApiException e, object? target, string notFoundId = ErrorIds.NotFound) =>
        ErrorMapping.ToErrorRecord(e, target, notFoundId);
}
