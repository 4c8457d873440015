using System.IO;
using System.Management.Automation;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Commands;

/// <summary>Turns the entries a deletion could not remove into non-terminating errors that name each entry, never its content.</summary>
internal static class CacheDeletionErrors
{
    public static ErrorRecord For(SiperbCache.NotDeletedEntry entry) =>
        ErrorMapping.Failure(ErrorIds.CacheEntryNotDeleted, ErrorCategory.WriteError, entry.Path,
            $"The cache entry '{entry.Path}' could not be deleted ({entry.Reason}); it is still on disk. Make the cache folder writable (is it on a read-only file system?), then run Clear-SiperbCache again.",
            message => new IOException(message));
}
