using System.Text.RegularExpressions;
using Siperb.Provisioning.Sip;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class DeviceInstanceIdTests
{
    private const string User = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void Is_a_version_5_uuid_stable_for_a_device_and_distinct_between_devices_and_users()
    {
        string a = DeviceInstanceId.For(User, "dev-001");
        Assert.Matches(new Regex("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"), a);
        Assert.Equal(a, DeviceInstanceId.For(User, "dev-001"));
        Assert.NotEqual(a, DeviceInstanceId.For(User, "Dev-001"));
        Assert.NotEqual(a, DeviceInstanceId.For("fedcba9876543210fedcba9876543210", "dev-001"));
    }

    [Fact]
    public void Matches_RFC_9562_uuid5_computed_elsewhere()
    {
        // Python: uuid.uuid5(UUID('5b0f4b7e-2c1d-4e84-9a51-6f3c2d8e1a07'), '<user>/dev-001'). Pinned: a change of the
        // namespace or the name layout would give every device a second binding after an upgrade.
        Assert.Equal("844d0c2e-6ecb-5015-89ef-0c139d0aa8d5", DeviceInstanceId.For(User, "dev-001"));
    }
}
