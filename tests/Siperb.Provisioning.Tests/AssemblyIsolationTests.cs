using System;
using System.Linq;
using Siperb.Provisioning.Api;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class AssemblyIsolationTests
{
    [Fact]
    public void Core_api_types_do_not_load_System_Management_Automation()
    {
        // Touch the core so that its assembly is loaded, then check what came with it.
        Assert.NotNull(typeof(SiperbClient).Assembly);
        _ = SiperbClient.EncodeSegment("x");
        _ = InputValidation.NormalizeApiBaseUri(null);

        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(),
            a => string.Equals(a.GetName().Name, "System.Management.Automation", StringComparison.OrdinalIgnoreCase));
    }
}
