package teredoio

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// ResolveServers turns server names (IPv4 literals or host names) into the
// IPv4 addresses of ClientConfig.Servers, in order, keeping the first IPv4
// address of each name as Miredo does.
func ResolveServers(ctx context.Context, r *net.Resolver, names []string) ([]netip.Addr, error) {
	if r == nil {
		r = net.DefaultResolver
	}
	out := make([]netip.Addr, 0, len(names))
	for _, n := range names {
		if a, err := netip.ParseAddr(n); err == nil {
			if !a.Unmap().Is4() {
				return nil, fmt.Errorf("teredoio: server %q is not an IPv4 address", n)
			}
			out = append(out, a.Unmap())
			continue
		}
		as, err := r.LookupNetIP(ctx, "ip4", n)
		if err != nil {
			return nil, fmt.Errorf("teredoio: resolving server %q: %w", n, err)
		}
		if len(as) == 0 {
			return nil, fmt.Errorf("teredoio: server %q has no IPv4 address", n)
		}
		out = append(out, as[0].Unmap())
	}
	return out, nil
}
