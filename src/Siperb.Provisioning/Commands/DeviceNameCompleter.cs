using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>Completes -Name from the descriptions of the session's devices (wildcard characters escaped).</summary>
internal sealed class DeviceNameCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = CompletionDevices.Unquote(wordToComplete);
        IReadOnlyList<DeviceData> devices = CompletionDevices.Of(CompletionDevices.SessionFor(fakeBoundParameters));
        return CompletionDevices.OfPlatforms(devices, fakeBoundParameters, honourPlatformParameter: true)
            .Where(d => !string.IsNullOrEmpty(d.Description) && CompletionDevices.StartsWith(d.Description, typed))
            .Select(d => d.Description!)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(description => new CompletionResult("'" + WildcardPattern.Escape(description).Replace("'", "''") + "'", description,
                CompletionResultType.ParameterValue, description))
            .ToArray();
    }
}
