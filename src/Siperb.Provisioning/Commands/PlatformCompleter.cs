using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Siperb.Provisioning.Commands;

/// <summary>Completes a -Platform that takes any string (the value bound from a device) with the platform names the service uses.</summary>
internal sealed class PlatformCompleter : IArgumentCompleter
{
    /// <summary>The platforms of Siperb devices; only script devices carry provisioning a script can use.</summary>
    internal static readonly string[] Platforms = { "script", "ios", "android", "webpage", "electron" };

    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = CompletionDevices.Unquote(wordToComplete);
        return Platforms.Where(p => CompletionDevices.StartsWith(p, typed))
            .Select(p => new CompletionResult(p, p, CompletionResultType.ParameterValue, p))
            .ToArray();
    }
}
