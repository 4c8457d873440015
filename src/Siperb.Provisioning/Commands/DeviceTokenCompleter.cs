using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Siperb.Provisioning.Commands;

/// <summary>Completes -DeviceToken from the session's devices (script devices, or those of -Platform for Get-SiperbDevice).</summary>
internal sealed class DeviceTokenCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        bool honourPlatform = string.Equals(commandName, "Get-SiperbDevice", StringComparison.OrdinalIgnoreCase);
        return CompletionDevices.Matching(fakeBoundParameters, wordToComplete, honourPlatform, d => d.DeviceToken)
            .Select(d => new CompletionResult(CompletionDevices.Quote(d.DeviceToken!), d.DeviceToken, CompletionResultType.ParameterValue,
                string.IsNullOrEmpty(d.Description) ? d.DeviceToken : $"{d.Description} ({d.Platform})"))
            .ToArray();
    }
}
