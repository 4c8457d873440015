using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Siperb.Emulator;

const string Usage = "usage: dotnet Siperb.Emulator.dll [--port 0] [--port-file PATH] [--seed PATH] [--exit-with-stdin]";

var port = 0;
string? portFile = null;
var exitWithStdin = false; // stop when the parent's end of stdin closes: a test run that dies leaves no emulator behind
var seedPath = Path.Combine(AppContext.BaseDirectory, "seed.json");
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--port" when int.TryParse(value, out port) && port is >= 0 and <= 65535:
            i++;
            break;
        case "--port-file" when !string.IsNullOrEmpty(value):
            portFile = Path.GetFullPath(value);
            i++;
            break;
        case "--exit-with-stdin":
            exitWithStdin = true;
            break;
        case "--seed" when !string.IsNullOrEmpty(value):
            seedPath = value;
            i++;
            break;
        default:
            Console.Error.WriteLine($"Bad argument '{args[i]}'.");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

EmulatorState state;
try
{
    state = new EmulatorState(UserDirectory.Load(seedPath));
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
{
    Console.Error.WriteLine($"Cannot load the seed '{seedPath}': {e.Message}");
    return 1;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
    kestrel.AddServerHeader = false;
    kestrel.Limits.MinResponseDataRate = null; // "drip" sends one byte every DripMs
});

var app = builder.Build();
var api = new ApiHandlers(state);
var control = new ControlHandlers(state);
app.Run(async ctx =>
{
    try
    {
        var target = RequestTarget.Parse(ctx.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget);
        ctx.Response.Headers["X-Request-Id"] = Guid.NewGuid().ToString();
        await (target.IsControl ? control.HandleAsync(ctx, target) : api.HandleAsync(ctx, target));
    }
    catch (Exception) when (ctx.RequestAborted.IsCancellationRequested)
    {
        // The client went away, or a fault dropped the connection on purpose.
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"{ctx.Request.Method} {ctx.Request.Path}: {e}");
        if (ctx.Response.HasStarted)
        {
            ctx.Abort();
        }
        else
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
    }
});

await app.StartAsync();
var boundPort = new Uri(app.Urls.Single()).Port;
Console.WriteLine($"Siperb emulator listening on http://127.0.0.1:{boundPort}");
if (portFile is not null)
{
    var temp = $"{portFile}.{Environment.ProcessId}.tmp";
    await File.WriteAllTextAsync(temp, boundPort.ToString());
    File.Move(temp, portFile, overwrite: true);
}
if (exitWithStdin)
{
    _ = Task.Run(async () =>
    {
        var buffer = new byte[256];
        using var stdin = Console.OpenStandardInput();
        while (await stdin.ReadAsync(buffer) > 0) { }
        await app.StopAsync();
    });
}
await app.WaitForShutdownAsync();
return 0;
