using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Sends a request to any path of the Siperb API with the session's credentials.</para>
/// <para type="description">The escape hatch for endpoints no cmdlet wraps: the session token as X-Api-Key, the same time limits,
/// retries (GET only), Retry-After, proxy and redirect rules and error ids as the other cmdlets; never a path outside the API's base.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "SiperbRequest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PSObject), typeof(string))]
public sealed class InvokeSiperbRequestCommand : SiperbCmdlet
{
    /// <summary>The path relative to the API's base, such as Users/&lt;UserId&gt;/Devices.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [Alias("Uri")]
    public string? Path { get; set; }

    /// <summary>The HTTP method; default GET.</summary>
    [Parameter(Position = 1)]
    [ValidateSet("GET", "POST", "PUT", "PATCH", "DELETE", IgnoreCase = true)]
    public string Method { get; set; } = "GET";

    /// <summary>The body: an object (sent as JSON) or JSON text. Not with GET.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Body { get; set; }

    /// <summary>Query parameters: names and values are percent-encoded; an array value repeats the name.</summary>
    [Parameter]
    [ValidateNotNull]
    public IDictionary? Query { get; set; }

    /// <summary>Return the answer's text as it came instead of objects.</summary>
    [Parameter]
    public SwitchParameter Raw { get; set; }

    /// <summary>The session to use; default: this runspace's current session.</summary>
    [Parameter(ValueFromPipeline = true)]
    [AllowNull]
    public SiperbSession? Session { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        ApiRequest request = BuildRequest();
        SiperbSession session = ResolveSession(Session, null, null, null);
        // A GET reads only, so it runs under -WhatIf too (a dry run can still read); every other method asks.
        if (request.IsRetried || ShouldProcess(session.ApiBaseUri.AbsoluteUri.TrimEnd('/') + request.PathForLog, request.Method.Method))
        {
            Send(session, request);
        }
    }

    private ApiRequest BuildRequest()
    {
        try
        {
            return new ApiRequest(Method, Path!, QueryPairs(), Body is null ? null : JsonText(Body));
        }
        catch (SiperbApiException e)
        {
            ThrowTerminatingError(ToErrorRecord(e, Path));
            throw; // not reached
        }
    }

    private void Send(SiperbSession session, ApiRequest request)
    {
        IClientLog log = Log;
        CancellationToken cancellation = Cancellation;
        ApiAnswer answer;
        try
        {
            answer = Await(Task.Run(() => session.Api.CallAsync(
                token => session.Api.Client.SendRequestAsync(request, token, log, cancellation), log, cancellation)));
            if (Raw.IsPresent)
            {
                WriteObject(answer.Text);
                return;
            }
            object? value = answer.ParseJson(request);
            if (value is not null) WriteObject(PSObjectConversion.ToPowerShell(value), enumerateCollection: true);
        }
        catch (SiperbApiException e)
        {
            WriteError(ToErrorRecord(e, Path));
        }
    }

    private IEnumerable<KeyValuePair<string, string?>>? QueryPairs()
    {
        if (Query is null) return null;
        var pairs = new List<KeyValuePair<string, string?>>();
        foreach (DictionaryEntry entry in Query)
        {
            string name = LanguagePrimitives.ConvertTo<string>(entry.Key);
            object? value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
            if (value is not string && value is IEnumerable many)
            {
                foreach (object? item in many) pairs.Add(new(name, ToText(item)));
            }
            else
            {
                pairs.Add(new(name, ToText(value)));
            }
        }
        return pairs;
    }

    private static string? ToText(object? value) => value is null ? null : LanguagePrimitives.ConvertTo<string>(value);

    /// <summary>JSON text as given, or the object as ConvertTo-Json writes it (the serializer PowerShell users know).</summary>
    private string JsonText(object body)
    {
        object unwrapped = body is PSObject wrapped && wrapped.BaseObject is string ? wrapped.BaseObject : body;
        if (unwrapped is string text) return text;
        using var powerShell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        powerShell.AddCommand("Microsoft.PowerShell.Utility\\ConvertTo-Json")
            .AddParameter("InputObject", unwrapped).AddParameter("Depth", 100).AddParameter("Compress");
        Collection<string> json = powerShell.Invoke<string>();
        if (powerShell.HadErrors || json.Count != 1)
        {
            ThrowInvalidArgument("The -Body object could not be converted to JSON. Pass a hashtable, a PSCustomObject or JSON text.", Path);
        }
        return json[0];
    }
}
