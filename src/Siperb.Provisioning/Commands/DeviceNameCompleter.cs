using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Siperb.Provisioning.Commands;

/// <summary>Completes -Name from the descriptions of the session's devices (wildcard characters escaped).</summary>
internal sealed class DeviceNameCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionDevices.Matching(fakeBoundParameters, wordToComplete, honourPlatformParameter: true, d => d.Description)
            .Select(d => d.Description!)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(description => new CompletionResult("'" + WildcardPattern.Escape(description).Replace("'", "''") + "'", description,
                CompletionResultType.ParameterValue, description))
            .ToArray();
}
