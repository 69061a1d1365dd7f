// Package netns is transit6's one test harness for network namespaces: every
// protocol's end-to-end tests (sixtofour, teredo, iphttps) build their hosts
// and wires with it, so creation, cleanup and leak checks live in one place.
//
// A test creates namespaces with [New], wires them with [Link], runs commands
// in them with [NS.Run], [NS.Output] and [NS.Start], and runs Go code in them
// with [NS.Exec]; iperf3 runs with [NS.IperfServer] and [NS.Iperf], which
// read its JSON report into an [IperfResult]. Everything is undone by
// t.Cleanup: processes started in a
// namespace are stopped (SIGTERM, then SIGKILL), every other process still
// in it is killed, and the namespace is deleted, whether the test passed,
// failed or panicked. Namespaces left behind by a test binary that was
// killed (SIGKILL, a test timeout) are removed by [CleanStale], which New
// calls once per process.
//
// Names are unique per run: Prefix, the creating process's PID, random hex
// and a label ("t6-4242-9f3c1a-tun"). The PID tells a stale namespace (its
// creator is dead) from one that belongs to another test binary running at
// the same time (go test runs packages in parallel).
//
// The harness never changes the host's root namespace: veth pairs are
// created directly inside their namespaces ("ip -n A link add ... peer ...
// netns B"), and tests use documentation addresses only (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32; RFC 5737, RFC 3849).
//
// The harness needs root and iproute2's ip; without them New calls
// interop.Unavailable, which skips the test, or fails it when
// TRANSIT6_REQUIRE_INTEROP is set.
//
//	a, b := netns.New(t, "a"), netns.New(t, "b")
//	netns.Link(t, a, "veth0", netip.MustParsePrefix("192.0.2.1/24"),
//		b, "veth0", netip.MustParsePrefix("192.0.2.2/24"))
//	a.Run(t, "ping", "-c1", "192.0.2.2")
package netns
