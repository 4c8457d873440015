using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The send/retry loop of one client: each attempt bounded by its own timeout and the whole call by
/// its budget (linked tokens, so a timeout is told apart from the caller's cancellation), transient
/// failures retried with backoff or the Retry-After asked for, and a 429's pause shared by every
/// request of the client. Answers become typed failures through <see cref="StatusMapping"/>.
/// </summary>
internal sealed class RetryingSender
{
    private readonly Uri _baseUri;
    private readonly ConnectionSettings _settings;
    private readonly RedirectFollower _redirects;
    private long _pausedUntilTicks; // UTC ticks: a 429's Retry-After holds every request of this client until then

    public RetryingSender(Uri baseUri, ConnectionSettings settings, RedirectFollower redirects)
    {
        _baseUri = baseUri;
        _settings = settings;
        _redirects = redirects;
    }

    /// <summary>Sends <paramref name="request"/> to <paramref name="uri"/> until it succeeds, fails for good, or runs out of time; <paramref name="readSuccess"/> reads a 2xx answer.</summary>
    public Task<T> SendAsync<T>(RequestSpec request, Uri uri, IClientLog log, CancellationToken cancellationToken,
        Func<HttpResponseMessage, CancellationToken, Task<T>> readSuccess) =>
        SendAsync(request, uri, log, cancellationToken, (response, timer) => readSuccess(response, timer.Token));

    /// <summary>As above; <paramref name="readSuccess"/> gets the attempt's timer, to stop it while a consumer holds the reader.</summary>
    public async Task<T> SendAsync<T>(RequestSpec request, Uri uri, IClientLog log, CancellationToken cancellationToken,
        Func<HttpResponseMessage, AttemptTimer, Task<T>> readSuccess)
    {
        var call = new CallClock(_settings.CallBudget);
        for (int attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await WaitForRateLimitPauseAsync(request, call.LeftOrThrow(request), log, cancellationToken).ConfigureAwait(false);
            TimeSpan left = call.LeftOrThrow(request);
            TimeSpan attemptTimeout = left < _settings.AttemptTimeout ? left : _settings.AttemptTimeout;
            Attempt<T> result = await AttemptAsync(request, uri, attempt, attemptTimeout, call, log, cancellationToken, readSuccess)
                .ConfigureAwait(false);
            if (result.Succeeded) return result.Value!;
            TimeSpan wait = NextWait(request, result.Failure!, result.Retryable, attempt, call.Left);
            log.Verbose($"{request.Method} {request.PathForLog}: retrying in {wait.TotalMilliseconds:0} ms (attempt {attempt + 1} of {request.MaximumRetries + 1}){(result.Failure!.RetryAfter is null ? string.Empty : ", as Retry-After asked")}");
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt, bounded by the attempt timeout (or what is left of the call, if less): the answer
    /// read by <paramref name="readSuccess"/>, or the failure and whether it is worth another attempt.
    /// A 429 whose Retry-After the call will wait out pauses the whole client. Final failures (from the
    /// body reader or the redirect rules) and the caller's cancellation are thrown.
    /// </summary>
    private async Task<Attempt<T>> AttemptAsync<T>(RequestSpec request, Uri uri, int attempt, TimeSpan attemptTimeout, CallClock call,
        IClientLog log, CancellationToken cancellationToken, Func<HttpResponseMessage, AttemptTimer, Task<T>> readSuccess)
    {
        using var attemptCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = new AttemptTimer(attemptCancellation, attemptTimeout);
        var attemptClock = Stopwatch.StartNew();
        SiperbApiException TimedOut(Exception e)
        {
            log.Verbose($"{request.Method} {request.PathForLog} -> timed out after {attemptClock.ElapsedMilliseconds} ms (attempt {attempt})");
            return new SiperbApiException(SiperbErrorKind.Timeout, $"{request.Describe()} timed out after {attemptTimeout.TotalSeconds:0.#} seconds.",
                innerException: e, remedy: SiperbRemedy.RaiseTimeout);
        }
        HttpResponseMessage? response = null;
        try
        {
            response = await _redirects.SendAsync(request, uri, log, attemptCancellation.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            log.Verbose($"{request.Method} {request.PathForLog} -> {status} in {attemptClock.ElapsedMilliseconds} ms (attempt {attempt})");
            log.Debug($"{request.Method} {request.PathForLog}: response headers {ResponseBody.HeaderNames(response)}");
            if (status >= 200 && status < 300) return Attempt<T>.Success(await readSuccess(response, timer).ConfigureAwait(false));
            SiperbApiException failure = await StatusMapping.FailureFromStatusAsync(request, response, attemptCancellation.Token).ConfigureAwait(false);
            if (status == 429 && failure.RetryAfter is TimeSpan pause && RetryPolicy.ShouldPause(pause, call.Left))
            {
                PauseAll(RetryPolicy.PauseToKeep(pause, call.Left));
            }
            // The same statuses for a login; its fewer attempts come from request.MaximumRetries.
            return Attempt<T>.Failed(failure, RetryPolicy.IsTransientStatus(status));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            return Attempt<T>.Failed(TimedOut(e), retryable: true);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ObjectDisposedException)
        {
            if (attemptCancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return Attempt<T>.Failed(TimedOut(e), retryable: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            return ConnectionFailure<T>(request, e, attempt, attemptClock, log);
        }
        finally
        {
            response?.Dispose();
        }
    }

    /// <summary>A failure to reach the service: a TLS failure is final (its certificate is not trusted), any other is retried.</summary>
    private Attempt<T> ConnectionFailure<T>(RequestSpec request, Exception e, int attempt, Stopwatch attemptClock, IClientLog log)
    {
        bool tls = IsTlsFailure(e);
        log.Verbose($"{request.Method} {request.PathForLog} -> {(tls ? "TLS failure" : "connection failure")} after {attemptClock.ElapsedMilliseconds} ms (attempt {attempt})");
        SiperbApiException failure = tls
            ? new SiperbApiException(SiperbErrorKind.ConnectionFailed,
                $"{request.Describe()}: the TLS handshake with {_baseUri.Host} failed; its certificate is not trusted.",
                innerException: e, remedy: SiperbRemedy.CheckCertificate)
            : new SiperbApiException(SiperbErrorKind.ConnectionFailed,
                $"{request.Describe()}: could not reach {_baseUri.Host}:{_baseUri.Port} ({Describe(e)}).",
                innerException: e, remedy: SiperbRemedy.CheckConnection);
        return Attempt<T>.Failed(failure, retryable: !tls);
    }

    /// <summary>
    /// How long to wait before the next attempt after <paramref name="failure"/>: the Retry-After
    /// asked for, else backoff, never past the call's budget. Throws the failure when it is final or
    /// the retries are used up, and RetryAfterTooLong when the Retry-After asked for outlasts the call.
    /// </summary>
    private TimeSpan NextWait(RequestSpec request, SiperbApiException failure, bool retryable, int attempt, TimeSpan remaining)
    {
        if (!retryable || attempt > request.MaximumRetries) throw failure;
        if (failure.RetryAfter is TimeSpan asked && asked > remaining)
        {
            throw new SiperbApiException(SiperbErrorKind.RetryAfterTooLong,
                $"{request.Describe()} answered {failure.StatusCode} and asked to wait {asked.TotalSeconds:0} seconds (Retry-After), more than the {Math.Max(0, remaining.TotalSeconds):0} seconds left for this call. Try again after that time.",
                failure.StatusCode, failure.RequestId, asked);
        }
        TimeSpan wait = failure.RetryAfter ?? RetryPolicy.Backoff(attempt, TimeSpan.FromSeconds(_settings.RetryIntervalSec));
        if (wait > remaining) wait = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
        return wait;
    }

    /// <summary>Holds every request of this client (all sessions' callers, all parallel workers) until the pause ends.</summary>
    private void PauseAll(TimeSpan pause)
    {
        // pause is capped (RetryPolicy.PauseToKeep), so this never overflows.
        long until = DateTime.UtcNow.Ticks + pause.Ticks;
        long seen;
        while ((seen = Interlocked.Read(ref _pausedUntilTicks)) < until)
        {
            if (Interlocked.CompareExchange(ref _pausedUntilTicks, until, seen) == seen) break;
        }
    }

    private async Task WaitForRateLimitPauseAsync(RequestSpec request, TimeSpan left, IClientLog log, CancellationToken cancellationToken)
    {
        long until = Interlocked.Read(ref _pausedUntilTicks);
        TimeSpan wait = new DateTime(until, DateTimeKind.Utc) - DateTime.UtcNow;
        if (wait <= TimeSpan.Zero) return;
        if (wait > left)
        {
            throw new SiperbApiException(SiperbErrorKind.RetryAfterTooLong,
                $"{request.Describe()} was not sent: the service asked to pause for {wait.TotalSeconds:0} seconds (429 Retry-After), more than the {Math.Max(0, left.TotalSeconds):0} seconds left for this call. Try again after that time.",
                429, retryAfter: wait);
        }
        log.Verbose($"{request.Method} {request.PathForLog}: waiting {wait.TotalMilliseconds:0} ms, the service is rate limiting (429 Retry-After)");
        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsTlsFailure(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException) return true;
        }
        return false;
    }

    private static string Describe(Exception e)
    {
        Exception root = e;
        while (root.InnerException is not null) root = root.InnerException;
        return SecretScrubber.Scrub(root.Message);
    }
}
