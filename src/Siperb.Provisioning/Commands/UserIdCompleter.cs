using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>Completes -UserId from the known sessions: the runspace's current one and those in the disk cache.</summary>
internal sealed class UserIdCompleter : IArgumentCompleter
{
    private static readonly TimeSpan s_cacheBudget = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var known = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        try
        {
            SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
            if (current is not null) known[current.UserId] = current.Email;
            foreach (CachedSession cached in CachedSessions.List(SiperbCache.Open(NullClientLog.Instance), s_cacheBudget))
            {
                if (!known.TryGetValue(cached.UserId, out string? email) || email is null) known[cached.UserId] = cached.Email;
            }
        }
        catch (Exception)
        {
            // Completion must never fail the prompt.
        }
        string typed = CompletionDevices.Unquote(wordToComplete);
        return known.Where(k => CompletionDevices.StartsWith(k.Key, typed))
            .OrderBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => new CompletionResult(k.Key, k.Key, CompletionResultType.ParameterValue, k.Value ?? k.Key))
            .ToArray();
    }
}
