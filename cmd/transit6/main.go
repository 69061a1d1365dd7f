// Command transit6 runs the roles of the transit6 IPv6 transition toolkit and
// inspects transition addresses.
//
// Usage:
//
//	transit6 addr [flags] ADDR...      explain addresses (Teredo, 6to4, ISATAP, NAT64, ...)
//	transit6 addr [flags] -            read one address per line from standard input
//	transit6 addr 6rd [flags] IPV4...  6rd delegated prefixes (RFC 5969)
//	transit6 teredo client --server HOST[,HOST...] [flags]   a Teredo client (RFC 4380)
//	transit6 teredo server --primary IPV4 [flags]            a Teredo server
//	transit6 teredo status [--json]                          show a running one
//	transit6 tunnel 6to4|6rd|6in4|isatap --local IPV4 [flags] a protocol-41 tunnel
//	transit6 iphttps server|client [flags]                  an IP-HTTPS server or client
//	transit6 iphttps status [--json]                         show a running one
//	transit6 version
//
// Run "transit6 addr -h" for the flags of a command.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// version is the program version, overridable with -ldflags "-X main.version=...".
var version = "dev"

// envCPUProfile names a file to write a CPU profile of the whole run to
// (runtime/pprof), for measuring the daemons under load; undocumented.
const envCPUProfile = "TRANSIT6_CPUPROFILE"

func main() {
	if path := os.Getenv(envCPUProfile); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "transit6: %s: %v\n", envCPUProfile, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "transit6: %s: %v\n", envCPUProfile, err)
			os.Exit(1)
		}
		code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit status:
// 0 on success, 1 on an operational failure, 2 on bad usage or bad input.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "addr":
		return runAddr(args[1:], stdin, stdout, stderr)
	case "teredo":
		return runTeredo(args[1:], stdout, stderr)
	case "tunnel":
		return runTunnel(args[1:], stdout, stderr)
	case "iphttps":
		return runIPHTTPS(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "transit6", version)
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "transit6: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: transit6 COMMAND [flags] [args]

commands:
  addr ADDR... | -          explain IPv6/IPv4 transition addresses (Teredo, 6to4,
                            ISATAP, NAT64, mapped, compatible) and whether they
                            may be treated as public
  addr 6rd IPV4...          6rd delegated prefixes (RFC 5969), or decode
                            DHCPv4 OPTION_6RD with --dhcp-option
  teredo client|server      a Teredo (RFC 4380) client or server daemon
  teredo status             the state of a running one (like netsh)
  iphttps server|client     an IP-HTTPS ([MS-IPHTTPS]) server or client
  iphttps status            the state of a running one
  tunnel 6to4|6rd|6in4|isatap
                            a protocol-41 tunnel (like ip tunnel ... mode sit)
  version                   print the version

Run "transit6 COMMAND -h" for the flags of a command.
`)
}
