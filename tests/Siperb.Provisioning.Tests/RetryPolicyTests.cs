using System;
using System.Globalization;
using System.Net.Http.Headers;
using Siperb.Provisioning.Api;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class RetryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 1, 1_000)]
    [InlineData(2, 1, 2_000)]
    [InlineData(3, 1, 4_000)]
    [InlineData(5, 1, 16_000)]
    [InlineData(6, 1, 30_000)]
    [InlineData(1, 10, 10_000)]
    [InlineData(2, 10, 20_000)]
    [InlineData(3, 10, 30_000)]
    [InlineData(64, 1, 30_000)]
    [InlineData(int.MaxValue, 2, 30_000)]
    [InlineData(0, 1, 1_000)]
    [InlineData(-3, 1, 1_000)]
    [InlineData(4, 0, 0)]
    public void Backoff_is_between_half_and_whole_of_the_capped_doubling(int retry, int intervalSec, double ceilingMs)
    {
        TimeSpan interval = TimeSpan.FromSeconds(intervalSec);

        Assert.Equal(ceilingMs / 2, RetryPolicy.Backoff(retry, interval, 0).TotalMilliseconds, 3);
        Assert.Equal(ceilingMs, RetryPolicy.Backoff(retry, interval, 1).TotalMilliseconds, 3);
        Assert.Equal(ceilingMs * 0.75, RetryPolicy.Backoff(retry, interval, 0.5).TotalMilliseconds, 3);
        for (int i = 0; i < 50; i++)
        {
            double random = RetryPolicy.Backoff(retry, interval).TotalMilliseconds;
            Assert.InRange(random, ceilingMs / 2, ceilingMs);
        }
    }

    [Fact]
    public void Backoff_never_exceeds_the_maximum()
    {
        Assert.Equal(ConnectionSettings.MaximumBackoff, RetryPolicy.Backoff(30, TimeSpan.FromHours(1), 1));
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(422, false)]
    [InlineData(501, false)]
    [InlineData(505, false)]
    [InlineData(200, false)]
    public void Transient_statuses(int status, bool transient)
    {
        Assert.Equal(transient, RetryPolicy.IsTransientStatus(status));
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData("0", 0)]
    [InlineData(" 5 ", 5)]
    [InlineData("86400", 86400)]
    public void Retry_After_in_seconds(string raw, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryPolicy.ParseRetryAfter(raw, Now));
    }

    [Fact]
    public void Retry_After_as_a_future_HTTP_date()
    {
        string raw = Now.AddSeconds(90).ToString("r", CultureInfo.InvariantCulture);

        Assert.Equal(TimeSpan.FromSeconds(90), RetryPolicy.ParseRetryAfter(raw, Now));
    }

    [Fact]
    public void Retry_After_as_a_past_HTTP_date_means_no_wait()
    {
        string raw = Now.AddMinutes(-5).ToString("r", CultureInfo.InvariantCulture);

        Assert.Equal(TimeSpan.Zero, RetryPolicy.ParseRetryAfter(raw, Now));
    }

    [Fact]
    public void Retry_After_huge_number_does_not_overflow()
    {
        TimeSpan? wait = RetryPolicy.ParseRetryAfter("9223372036854775807", Now);

        Assert.NotNull(wait);
        Assert.True(wait > TimeSpan.FromDays(365));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("+5")]
    [InlineData("5s")]
    [InlineData("Fri, 99 Foo 2026 25:61:61 GMT")]
    [InlineData("2026-03-14T12:01:00Z")]
    public void Retry_After_garbage_is_null(string? raw)
    {
        Assert.Null(RetryPolicy.ParseRetryAfter(raw, Now));
    }

    [Fact]
    public void Retry_After_header_value_delta_and_date()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), RetryPolicy.ParseRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), Now));
        Assert.Equal(TimeSpan.FromSeconds(30), RetryPolicy.ParseRetryAfter(new RetryConditionHeaderValue(Now.AddSeconds(30)), Now));
        Assert.Equal(TimeSpan.Zero, RetryPolicy.ParseRetryAfter(new RetryConditionHeaderValue(Now.AddSeconds(-30)), Now));
        Assert.Null(RetryPolicy.ParseRetryAfter((RetryConditionHeaderValue?)null, Now));
    }

    [Theory]
    [InlineData(0, 3, 1)]
    [InlineData(1, -1, 1)]
    [InlineData(1, 3, -1)]
    public void Connection_settings_out_of_range_throw(int timeoutSec, int retries, int intervalSec)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConnectionSettings(timeoutSec, retries, intervalSec));
    }

    [Fact]
    public void Call_budget_is_every_attempt_at_its_full_timeout()
    {
        var settings = new ConnectionSettings(timeoutSec: 7, maximumRetryCount: 2, retryIntervalSec: 1);

        Assert.Equal(TimeSpan.FromSeconds(7), settings.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(21), settings.CallBudget);
        Assert.Equal(30, ConnectionSettings.Default.TimeoutSec);
        Assert.Equal(3, ConnectionSettings.Default.MaximumRetryCount);
        Assert.Equal(1, ConnectionSettings.Default.RetryIntervalSec);
    }
}
