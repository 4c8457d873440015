using System;
using System.IO;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>A folder of its own under the temp folder, deleted afterwards; never the real profile.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "siperb-xunit-" + Guid.NewGuid().ToString("N"));

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A test that failed may still hold a file; the temp folder is cleaned by the OS.
        }
    }
}
