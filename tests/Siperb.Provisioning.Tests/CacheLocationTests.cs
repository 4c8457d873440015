using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Siperb.Provisioning.Caching;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>Where the cache lives, per OS, computed from made-up environments (never this machine's).</summary>
public class CacheLocationTests
{
    private const string Temp = "/made-up/tmp";
    private const string User = "alice";

    private static IReadOnlyList<string> Candidates(CacheOS os, params (string Name, string Value)[] variables)
    {
        var environment = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return CacheLocation.Candidates(name => environment.TryGetValue(name, out string? value) ? value : null, os, Temp, User);
    }

    private static string TempCandidate(string user = User) => CacheLocation.Candidates(_ => null, CacheOS.OtherUnix, Temp, user).Single();

    [Theory]
    [InlineData("Windows")]
    [InlineData("MacOS")]
    [InlineData("OtherUnix")]
    public void SIPERB_CACHE_DIR_comes_first_on_every_OS(string osName)
    {
        CacheOS os = Enum.Parse<CacheOS>(osName);
        IReadOnlyList<string> candidates = Candidates(os, ("SIPERB_CACHE_DIR", "/srv/cache"), ("LOCALAPPDATA", "/l"), ("HOME", "/h"), ("XDG_CACHE_HOME", "/x"));

        Assert.Equal(new[] { "/srv/cache", TempCandidate() }, candidates);
    }

    [Theory]
    [InlineData("Windows", "relative/dir")]
    [InlineData("OtherUnix", "~/cache")]
    [InlineData("MacOS", "   ")]
    public void An_unusable_SIPERB_CACHE_DIR_is_ignored(string osName, string value)
    {
        CacheOS os = Enum.Parse<CacheOS>(osName);
        IReadOnlyList<string> candidates = Candidates(os, ("SIPERB_CACHE_DIR", value), ("LOCALAPPDATA", "/l"), ("HOME", "/h"));

        Assert.Equal(2, candidates.Count);
        Assert.DoesNotContain(candidates, c => c.Contains(value.Trim().Length == 0 ? "\0" : value, StringComparison.Ordinal));
    }

    [Fact]
    public void Windows_uses_LOCALAPPDATA()
    {
        Assert.Equal(new[] { Path.Combine("/Users/alice/AppData/Local", "Siperb", "Provisioning"), TempCandidate() },
            Candidates(CacheOS.Windows, ("LOCALAPPDATA", "/Users/alice/AppData/Local"), ("HOME", "/h")));
    }

    [Fact]
    public void MacOS_uses_Library_Caches_under_HOME()
    {
        Assert.Equal(new[] { Path.Combine("/Users/alice", "Library", "Caches", "Siperb.Provisioning"), TempCandidate() },
            Candidates(CacheOS.MacOS, ("HOME", "/Users/alice"), ("XDG_CACHE_HOME", "/x")));
    }

    [Fact]
    public void Other_Unix_prefers_XDG_CACHE_HOME()
    {
        Assert.Equal(new[] { Path.Combine("/home/alice/.xdg", "siperb-provisioning"), TempCandidate() },
            Candidates(CacheOS.OtherUnix, ("XDG_CACHE_HOME", "/home/alice/.xdg"), ("HOME", "/home/alice")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative/xdg")]
    public void Other_Unix_falls_back_to_dot_cache_under_HOME_when_XDG_CACHE_HOME_is_unusable(string xdg)
    {
        Assert.Equal(new[] { Path.Combine("/home/alice", ".cache", "siperb-provisioning"), TempCandidate() },
            Candidates(CacheOS.OtherUnix, ("XDG_CACHE_HOME", xdg), ("HOME", "/home/alice")));
    }

    [Theory]
    [InlineData("Windows")]
    [InlineData("MacOS")]
    [InlineData("OtherUnix")]
    public void With_an_empty_profile_only_the_temp_folder_is_left(string osName)
    {
        CacheOS os = Enum.Parse<CacheOS>(osName);
        IReadOnlyList<string> candidates = Candidates(os);

        string only = Assert.Single(candidates);
        Assert.StartsWith(Temp, only, StringComparison.Ordinal);
    }

    [Fact]
    public void The_temp_folder_is_per_user_and_never_shows_the_user_name()
    {
        string alice = TempCandidate("alice"), bob = TempCandidate("bob");

        Assert.NotEqual(alice, bob);
        Assert.DoesNotContain("alice", alice, StringComparison.Ordinal);
        Assert.Equal(Temp, Path.GetDirectoryName(alice));
    }

    [Fact]
    public void Without_a_temp_folder_there_may_be_no_candidate_at_all()
    {
        Assert.Empty(CacheLocation.Candidates(_ => null, CacheOS.OtherUnix, string.Empty, User));
    }
}
