using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// Probes one device's provisioning the way a SIP client would use it, stage by stage over ONE
/// connection: DNS (Dns.GetHostAddressesAsync), TCP connect, TLS (SslStream, SNI = the WebSocket
/// host, the platform's own certificate verdict), the WebSocket upgrade with subprotocol sip
/// (RFC 7118, our own small RFC 6455 client, <see cref="WebSocketConnection"/>, so that each stage
/// is timed on its own and a refused upgrade's HTTP status is known), then REGISTER (one digest
/// challenge answered, then the same Contact with Expires: 0 to remove the probe's binding) or
/// OPTIONS (Connect mode, no credentials).
/// <para>
/// The probe's Contact is its own, <c>&lt;sip:probe-XXXXXXXX@YYYYYYYYYYYYYYYY.invalid;transport=ws&gt;</c>:
/// never the device's SipContact, never <c>*</c>, so a live phone's binding is left alone.
/// </para>
/// <para>
/// The time limit covers the whole probe; when it passes, or the caller cancels, the socket is
/// disposed at once (that ends any pending read or connect, also on .NET Framework where socket
/// reads ignore tokens). A timeout is a result with the stage reached; the caller's cancellation
/// propagates as <see cref="OperationCanceledException"/>.
/// </para>
/// </summary>
internal sealed class RegistrationProbe
{
    /// <summary>The Expires asked for on REGISTER: short, since the binding is removed at once anyway.</summary>
    public const int RegisterExpires = 60;

    private static readonly string s_userAgent = ProductInfo.UserAgent + " (registration probe)";

    private readonly IClientLog _log;

    public RegistrationProbe(IClientLog log) => _log = log;

    /// <summary>Which HTTP proxy a WebSocket server is reached through (CONNECT tunnel); null: always direct.</summary>
    internal ProbeProxySelector? Proxies { get; set; }

    /// <summary>The User-Agent of the upgrade request and the SIP requests.</summary>
    public static string UserAgent => s_userAgent;

    /// <summary>Why the account cannot be probed at all with <paramref name="options"/>, or null when it can. Nothing is sent for such an account.</summary>
    public static string? WhyNotTestable(SipAccount account, ProbeOptions options)
    {
        if (account.WebSocketUri is null) return "it has no WebSocket server (SipWssServer is missing or not a host name)";
        string scheme = account.WebSocketUri.Scheme;
        bool secure = string.Equals(scheme, "wss", StringComparison.OrdinalIgnoreCase);
        if (!secure && !string.Equals(scheme, "ws", StringComparison.OrdinalIgnoreCase))
        {
            return $"its WebSocket URI has the scheme '{scheme}', not wss";
        }
        if (!secure && options.Mode == SiperbRegistrationMode.Register && !options.AllowUnencrypted)
        {
            return $"its WebSocket server {account.WebSocketUri} is unencrypted (ws://): the digest answer, the Bearer token and X-Siperb-Sid would cross the network in clear text. Use a wss:// server, or pass -AllowUnencrypted on a network you trust";
        }
        if (string.IsNullOrEmpty(account.Domain)) return "it has no SipDomain";
        string? badHost = SipSyntax.WhyNotHost(account.Domain!);
        if (badHost is not null) return $"its SipDomain '{ShowValue(account.Domain!)}' cannot be written into SIP: {badHost}";
        if (options.Mode == SiperbRegistrationMode.Register)
        {
            if (string.IsNullOrEmpty(account.Username)) return "it has no SipUsername";
            string? badUser = SipSyntax.WhyNotUser(account.Username!);
            if (badUser is not null) return $"its SipUsername '{ShowValue(account.Username!)}' cannot be written into SIP: {badUser}";
            foreach (var header in account.Headers)
            {
                string? badHeader = SipSyntax.WhyNotHeader(header.Key, header.Value);
                if (badHeader is not null) return $"its SipHeaders cannot be sent: {badHeader}";
            }
        }
        return null;
    }

    private static string ShowValue(string value) => ServerText.StripControls(value.Length > 80 ? value.Substring(0, 80) + "…" : value);

    /// <summary>Runs the probe; a failure is a result, only the caller's cancellation throws.</summary>
    public async Task<SiperbRegistrationResult> RunAsync(SipAccount account, ProbeOptions options, CancellationToken cancellationToken)
    {
        var result = new SiperbRegistrationResult(account.DeviceToken, account.Description, account.SipUri, account.WebSocketUri, options.Mode)
        {
            Stage = SiperbRegistrationStage.Dns,
            Client = options.Client,
        };
        string? notTestable = WhyNotTestable(account, options);
        if (notTestable is not null) throw new ArgumentException($"The provisioning of '{account.DeviceToken}' cannot be tested: {notTestable}.");
        TimeSpan timeout = options.Timeout;
        Stopwatch total = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var run = new ProbeRun(account, options, result, limit.Token, cancellationToken);
        try
        {
            using (limit.Token.Register(run.Connection.Dispose))
            {
                await RunStagesAsync(run).ConfigureAwait(false);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            run.Connection.Dispose();
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception e) when (limit.IsCancellationRequested)
        {
            _ = e;
            result.TimedOut = true;
            result.Succeeded = false;
            result.StatusCode = null;
            result.Reason = result.Stage == SiperbRegistrationStage.Sip
                ? $"no final SIP answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"
                : $"timed out after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s ({StageInWords(result.Stage)})";
        }
        catch (Exception e) when (IsExpectedFailure(e))
        {
            result.Succeeded = false;
            result.Reason = ServerText.Clean(Describe(e, result, run.Tls), account.Secrets);
            if (e is WebSocketHandshakeException handshake) result.StatusCode = handshake.StatusCode;
            if (e is ProxyTunnelException refused) result.StatusCode = refused.StatusCode;
        }
        finally
        {
            run.Connection.Dispose();
            if (!result.Succeeded) RecordFailedStage(result, run.Stage);
            result.TotalMs = Milliseconds(total);
        }
        _log.Verbose(SecretScrubber.Scrub($"Probe of '{account.DeviceToken}' ({account.WebSocketUri}) as {options.Client}: "
            + (result.Succeeded ? "succeeded" : $"failed at {result.Stage}")
            + (result.StatusCode is null ? string.Empty : $", status {result.StatusCode}")
            + (result.Reason is null ? string.Empty : $" ({result.Reason})")
            + $"; DNS {Show(result.DnsMs)}, TCP {Show(result.ConnectMs)}, TLS {Show(result.TlsMs)}, WebSocket {Show(result.WebSocketMs)}, SIP {Show(result.SipMs)}, total {Show(result.TotalMs)} ms."));
        return result;
    }

    private async Task RunStagesAsync(ProbeRun run)
    {
        ProbeProxy? proxy = Proxies?.For(run.Uri);
        run.Result.Proxy = proxy?.Display;
        IPAddress[] addresses = await ResolveAsync(run, proxy).ConfigureAwait(false);
        Stream stream = await OpenTransportAsync(run, addresses, proxy).ConfigureAwait(false);
        if (run.Secure) stream = await HandshakeTlsAsync(run, stream).ConfigureAwait(false);
        WebSocketConnection webSocket = await UpgradeAsync(run, stream).ConfigureAwait(false);
        if (await ExchangeSipAsync(run, webSocket).ConfigureAwait(false))
        {
            await webSocket.CloseAsync(TimeSpan.FromMilliseconds(500), run.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The DNS stage; through a proxy, the proxy's name is the one resolved (the proxy resolves the server's).</summary>
    private static async Task<IPAddress[]> ResolveAsync(ProbeRun run, ProbeProxy? proxy)
    {
        run.Result.Stage = SiperbRegistrationStage.Dns;
        run.Stage.Restart();
        string host = proxy?.Host ?? run.Uri.DnsSafeHost;
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
            ? new[] { literal }
            : await WithCancellation(Dns.GetHostAddressesAsync(host), run.Token).ConfigureAwait(false);
        run.Result.DnsMs = Milliseconds(run.Stage);
        if (addresses.Length == 0) throw new ProbeFailure($"the host name '{host}' has no address");
        return addresses;
    }

    /// <summary>
    /// The TCP stage: the connected stream the TLS handshake (wss) or the WebSocket upgrade (ws) runs
    /// over; through a proxy, the connection to the proxy and the CONNECT tunnel it opens (<see cref="ProxyTunnel"/>).
    /// </summary>
    private static async Task<Stream> OpenTransportAsync(ProbeRun run, IPAddress[] addresses, ProbeProxy? proxy)
    {
        run.Result.Stage = SiperbRegistrationStage.Connect;
        run.Stage.Restart();
        await ConnectAsync(run.Connection, addresses, proxy?.Port ?? run.Uri.Port, run.Token).ConfigureAwait(false);
        Stream stream = run.Connection.Client!.GetStream();
        if (proxy is not null) await WithCancellation(ProxyTunnel.OpenAsync(stream, proxy, run.Uri.DnsSafeHost, run.Uri.Port, s_userAgent, run.Token), run.Token).ConfigureAwait(false);
        run.Result.ConnectMs = Milliseconds(run.Stage);
        return stream;
    }

    private static async Task<Stream> HandshakeTlsAsync(ProbeRun run, Stream stream)
    {
        run.Result.Stage = SiperbRegistrationStage.Tls;
        // Loading the trust store (0.2-1 s with a system bundle) is the process's cost, not the
        // server's: done once, before the handshake is timed.
        await WithCancellation(TrustStoreWarmUp.Task, run.Token).ConfigureAwait(false);
        run.Stage.Restart();
        string host = run.Uri.DnsSafeHost;
        // The platform decides: the callback returns exactly its verdict (no error = trusted) and
        // only remembers why, so that a refusal can be told in words. It never accepts more.
        run.Tls.Host = host;
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false, run.Tls.Validate);
        run.Connection.Stream = ssl;
        // .NET picks the protocols with the OS. .NET Framework's SslStream may default to TLS 1.0
        // in powershell.exe (ServicePointManager does not apply to it), so TLS 1.2 is asked for there.
        Task handshake = RuntimeInfo.IsNetFramework
            ? ssl.AuthenticateAsClientAsync(host, null, SslProtocols.Tls12, checkCertificateRevocation: false)
            : ssl.AuthenticateAsClientAsync(host);
        await WithCancellation(handshake, run.Token).ConfigureAwait(false);
        run.Result.TlsMs = Milliseconds(run.Stage);
        if (ssl.RemoteCertificate is not null)
        {
            using var certificate = new X509Certificate2(ssl.RemoteCertificate);
            run.Result.CertificateSubject = ServerText.Clean(certificate.Subject);
            run.Result.CertificateNotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        }
        return ssl;
    }

    private static async Task<WebSocketConnection> UpgradeAsync(ProbeRun run, Stream stream)
    {
        run.Result.Stage = SiperbRegistrationStage.WebSocket;
        run.Stage.Restart();
        WebSocketConnection webSocket = await WebSocketConnection.ConnectAsync(stream, run.Uri, "sip", s_userAgent, run.Token).ConfigureAwait(false);
        run.Connection.WebSocket = webSocket;
        run.Result.WebSocketMs = Milliseconds(run.Stage);
        return webSocket;
    }

    /// <summary>The SIP stage; false when the WebSocket is not worth closing politely (a lost unREGISTER).</summary>
    private async Task<bool> ExchangeSipAsync(ProbeRun run, WebSocketConnection webSocket)
    {
        SiperbRegistrationResult result = run.Result;
        result.Stage = SiperbRegistrationStage.Sip;
        run.Stage.Restart();
        var dialog = new SipExchange(webSocket, run.Account, SipClientProfile.For(run.Options.Client), run.Secure ? "WSS" : "WS", _log, run.Token);
        if (run.Options.Mode == SiperbRegistrationMode.Connect)
        {
            SipMessage options = await dialog.OptionsAsync().ConfigureAwait(false);
            result.SipMs = Milliseconds(run.Stage);
            Finish(result, options, succeeded: true, run.Account);
            return true;
        }
        RegisterOutcome outcome = await dialog.RegisterAsync(RegisterExpires).ConfigureAwait(false);
        result.SipMs = Milliseconds(run.Stage);
        result.DigestAlgorithm = dialog.DigestAlgorithm is null ? null : ServerText.Clean(dialog.DigestAlgorithm);
        result.MinExpires = outcome.RequestedExpires > RegisterExpires ? outcome.RequestedExpires : null;
        Finish(result, outcome.Answer, outcome.IsRegistered, run.Account);
        if (outcome.Failure is not null) result.Reason = outcome.Failure;
        if (outcome.IsRegistered)
        {
            result.Expires = outcome.Expires;
            if (dialog.BrowserClientsCouldNotAnswer)
            {
                result.AddWarning($"Registered as the probe, with digest {result.DigestAlgorithm}; JsSIP and SIP.js with the exported files could not: they answer only the last {(outcome.Answer.StatusCode == 407 ? "Proxy-Authenticate" : "WWW-Authenticate")} challenge and only with MD5. Check with -Client JsSIP or -Client SipJs.");
            }
        }
        if (!outcome.MayHoldBinding) return true;
        return await RemoveBindingAsync(run, dialog, outcome).ConfigureAwait(false);
    }

    private async Task<bool> RemoveBindingAsync(ProbeRun run, SipExchange dialog, RegisterOutcome outcome)
    {
        try
        {
            await dialog.UnregisterAsync().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (!run.CallerToken.IsCancellationRequested && (IsExpectedFailure(e) || e is OperationCanceledException))
        {
            // The device registered: that is the result. A lost unREGISTER only leaves the
            // probe's short binding to expire on its own.
            run.Result.AddWarning($"the probe's binding could not be removed; the registrar drops it within {outcome.Expires ?? outcome.RequestedExpires} s");
            _log.Warning($"The probe's binding of {run.Account.SipUri} could not be removed ({(run.Token.IsCancellationRequested ? "the time limit passed" : ServerText.Clean(Innermost(e).Message.TrimEnd('.'), run.Account.Secrets))}); the registrar drops it within {outcome.Expires ?? outcome.RequestedExpires} s.");
            return false;
        }
    }

    /// <summary>The stage that failed ran too: its time until the failure is kept (how long a connect took to time out).</summary>
    private static void RecordFailedStage(SiperbRegistrationResult result, Stopwatch stage)
    {
        if (!stage.IsRunning && stage.ElapsedTicks == 0) return;
        double elapsed = Milliseconds(stage);
        switch (result.Stage)
        {
            case SiperbRegistrationStage.Dns: result.DnsMs ??= elapsed; break;
            case SiperbRegistrationStage.Connect: result.ConnectMs ??= elapsed; break;
            case SiperbRegistrationStage.Tls: result.TlsMs ??= elapsed; break;
            case SiperbRegistrationStage.WebSocket: result.WebSocketMs ??= elapsed; break;
            case SiperbRegistrationStage.Sip: result.SipMs ??= elapsed; break;
        }
    }

    private static void Finish(SiperbRegistrationResult result, SipMessage answer, bool succeeded, SipAccount account)
    {
        result.StatusCode = answer.StatusCode;
        result.Reason = ServerText.Clean(answer.ReasonPhrase, account.Secrets);
        result.Server = ServerText.Clean(answer.Get("Server") ?? answer.Get("User-Agent"), account.Secrets);
        result.Succeeded = succeeded;
        if (succeeded) result.Stage = SiperbRegistrationStage.Done;
    }

    private static async Task ConnectAsync(Connection connection, IPAddress[] addresses, int port, CancellationToken token)
    {
        Exception? last = null;
        foreach (IPAddress address in addresses)
        {
            var client = new TcpClient(address.AddressFamily) { NoDelay = true };
            connection.Client = client;
            try
            {
                await WithCancellation(client.ConnectAsync(address, port), token).ConfigureAwait(false);
                return;
            }
            catch (SocketException e)
            {
                last = e;
                client.Dispose();
            }
        }
        throw last ?? new ProbeFailure("no address to connect to");
    }

    private static bool IsExpectedFailure(Exception e) =>
        e is SocketException or IOException or AuthenticationException or WebSocketHandshakeException or ProbeFailure
            or ObjectDisposedException or FormatException or ArgumentException or NotSupportedException or InvalidOperationException;

    private static string Describe(Exception e, SiperbRegistrationResult result, TlsVerdict tls)
    {
        switch (e)
        {
            case ProbeFailure failure:
                return failure.Message;
            case WebSocketHandshakeException handshake:
                return handshake.Message;
            case AuthenticationException authentication:
                return tls.Describe() ?? "the TLS handshake failed (" + Innermost(authentication).Message.TrimEnd('.') + ")";
            case SocketException socket when result.Stage == SiperbRegistrationStage.Dns:
                return socket.SocketErrorCode == SocketError.HostNotFound
                    ? $"the host name '{result.WebSocketUri?.DnsSafeHost}' does not resolve (HostNotFound)"
                    : $"the host name '{result.WebSocketUri?.DnsSafeHost}' could not be resolved ({socket.SocketErrorCode})";
            case SocketException socket:
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => $"the connection to port {result.WebSocketUri?.Port} was refused (ConnectionRefused)",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"the server cannot be reached ({socket.SocketErrorCode})",
                    SocketError.TimedOut => "the connection attempt timed out (TimedOut)",
                    SocketError.ConnectionReset => "the server reset the connection (ConnectionReset)",
                    _ => $"the connection failed ({socket.SocketErrorCode})",
                };
            case IOException io when result.Stage == SiperbRegistrationStage.Tls:
                return tls.Describe() ?? "the server closed the connection during the TLS handshake (" + Innermost(io).Message.TrimEnd('.') + ")";
            case IOException io when Innermost(io) is SocketException socket:
                return $"the connection broke ({socket.SocketErrorCode})";
            case FormatException format:
                return "the server's SIP answer could not be read (" + format.Message.TrimEnd('.') + ")";
            default:
                return Innermost(e).Message.TrimEnd('.');
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static string StageInWords(SiperbRegistrationStage stage) => stage switch
    {
        SiperbRegistrationStage.Dns => "resolving the host name",
        SiperbRegistrationStage.Connect => "connecting",
        SiperbRegistrationStage.Tls => "in the TLS handshake",
        SiperbRegistrationStage.WebSocket => "waiting for the WebSocket upgrade",
        _ => "waiting for the SIP answer",
    };

    private static double Milliseconds(Stopwatch stopwatch) => Math.Round(stopwatch.Elapsed.TotalMilliseconds, 1);

    private static string Show(double? milliseconds) => milliseconds?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Awaits <paramref name="task"/>, or throws as soon as <paramref name="token"/> is cancelled (the task's fault is observed).</summary>
    internal static async Task<T> WithCancellation<T>(Task<T> task, CancellationToken token)
    {
        await WithCancellation((Task)task, token).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    internal static async Task WithCancellation(Task task, CancellationToken token)
    {
        if (!task.IsCompleted)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (token.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetResult(true), cancelled))
            {
                if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                {
                    _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw new OperationCanceledException(token);
                }
            }
        }
        await task.ConfigureAwait(false);
    }

    /// <summary>Random lower-case hex of <paramref name="length"/> characters.</summary>
    internal static string RandomHex(int length)
    {
        return HexText.Random(length);
    }

    /// <summary>What one probe carries from stage to stage.</summary>
    private sealed class ProbeRun
    {
        public ProbeRun(SipAccount account, ProbeOptions options, SiperbRegistrationResult result, CancellationToken token, CancellationToken callerToken)
        {
            Account = account;
            Options = options;
            Result = result;
            Token = token;
            CallerToken = callerToken;
            Uri = account.WebSocketUri!;
            Secure = string.Equals(Uri.Scheme, "wss", StringComparison.OrdinalIgnoreCase);
        }

        public SipAccount Account { get; }

        public ProbeOptions Options { get; }

        public SiperbRegistrationResult Result { get; }

        /// <summary>The time limit and the caller's cancellation.</summary>
        public CancellationToken Token { get; }

        /// <summary>The caller's cancellation alone.</summary>
        public CancellationToken CallerToken { get; }

        public Uri Uri { get; }

        public bool Secure { get; }

        public Connection Connection { get; } = new();

        public TlsVerdict Tls { get; } = new();

        public Stopwatch Stage { get; } = new();
    }

    /// <summary>Loads the platform's trust store once per process (the first chain build pays for it), off the timed handshake.</summary>
    private static class TrustStoreWarmUp
    {
        private static readonly Lazy<Task> s_task = new(() => System.Threading.Tasks.Task.Run(Load), LazyThreadSafetyMode.ExecutionAndPublication);

        public static Task Task => s_task.Value;

        private static void Load()
        {
            foreach (StoreLocation location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
            {
                try
                {
                    using var store = new X509Store(StoreName.Root, location);
                    store.Open(OpenFlags.ReadOnly);
                    _ = store.Certificates.Count;
                }
                catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or System.Security.SecurityException)
                {
                    // A store that cannot be read here is read (and refused) by the handshake itself.
                }
            }
        }
    }

    private sealed class ProbeFailure : Exception
    {
        public ProbeFailure(string message) : base(message) { }
    }

    /// <summary>Everything that holds the socket; disposed on timeout, cancellation and at the end (idempotent, any thread).</summary>
    private sealed class Connection : IDisposable
    {
        private int _disposed;

        public TcpClient? Client { get; set; }

        public Stream? Stream { get; set; }

        public WebSocketConnection? WebSocket { get; set; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            try
            {
                WebSocket?.Dispose();
                Stream?.Dispose();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                // Disposing a broken stream may complain; the socket below is closed anyway.
            }
            finally
            {
                Client?.Dispose();
            }
        }
    }

    /// <summary>Remembers why the platform refused a certificate, to say it in words.</summary>
    private sealed class TlsVerdict
    {
        private SslPolicyErrors _errors;
        private string _chainStatus = string.Empty;
        private string? _subject;
        private string? _host;

        public string? Host { set => _host = value; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            _errors = errors;
            _subject = certificate?.Subject;
            if (chain is not null)
            {
                var flags = new List<string>();
                foreach (X509ChainStatus status in chain.ChainStatus)
                {
                    string name = status.Status.ToString();
                    if (status.Status != X509ChainStatusFlags.NoError && !flags.Contains(name)) flags.Add(name);
                }
                _chainStatus = string.Join(", ", flags);
            }
            return errors == SslPolicyErrors.None;
        }

        public string? Describe()
        {
            if (_errors == SslPolicyErrors.None) return null;
            var parts = new List<string>();
            if ((_errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) parts.Add("the server sent no certificate (RemoteCertificateNotAvailable)");
            if ((_errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                parts.Add($"the certificate{(_subject is null ? string.Empty : " '" + _subject + "'")} is not valid for the host name '{_host}' (RemoteCertificateNameMismatch)");
            }
            if ((_errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                string flags = _chainStatus.Length == 0 ? "RemoteCertificateChainErrors" : _chainStatus;
                parts.Add(_chainStatus.Contains("NotTimeValid") && !_chainStatus.Contains("UntrustedRoot") && !_chainStatus.Contains("PartialChain")
                    ? $"the certificate has expired or is not valid yet ({flags})"
                    : $"the certificate chain is not trusted ({flags})");
            }
            return string.Join("; ", parts);
        }
    }
}
