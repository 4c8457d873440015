using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>Completes -DeviceToken from the session's devices (script devices, or those of -Platform).</summary>
internal sealed class DeviceTokenCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = CompletionDevices.Unquote(wordToComplete);
        bool honourPlatform = string.Equals(commandName, "Get-SiperbDevice", StringComparison.OrdinalIgnoreCase);
        IReadOnlyList<DeviceData> devices = CompletionDevices.Of(CompletionDevices.SessionFor(fakeBoundParameters));
        return CompletionDevices.OfPlatforms(devices, fakeBoundParameters, honourPlatform)
            .Where(d => !string.IsNullOrEmpty(d.DeviceToken) && CompletionDevices.StartsWith(d.DeviceToken, typed))
            .Select(d => new CompletionResult(CompletionDevices.Quote(d.DeviceToken!), d.DeviceToken, CompletionResultType.ParameterValue,
                string.IsNullOrEmpty(d.Description) ? d.DeviceToken : $"{d.Description} ({d.Platform})"))
            .ToArray();
    }
}
