package miredoconf_test

import (
	"fmt"

	"github.com/transit6/transit6/internal/miredoconf"
)

// A Miredo relay's file, read for `transit6 teredo relay`.
func ExampleFile_Options() {
	conf := []byte(`# /etc/miredo/miredo.conf
RelayType cone
InterfaceName teredo
ServerAddress teredo.example.net
BindAddress 203.0.113.1
BindPort 3545
`)
	f, err := miredoconf.Parse(conf)
	if err != nil {
		fmt.Println(err)
		return
	}
	opts, warnings, err := f.Options(miredoconf.Relay)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range opts {
		fmt.Printf("--%s %s (line %d)\n", o.Flag, o.Value, o.Line)
	}
	for _, w := range warnings {
		fmt.Println("warning:", w)
	}
	// The same file for a client.
	_, _, err = f.Options(miredoconf.Client)
	fmt.Println(err)
	// Output:
	// --ifname teredo (line 3)
	// --bind 203.0.113.1:3545 (line 6)
	// warning: line 4: ServerAddress: miredoconf: superfluous directive for this role, ignored (relay)
	// line 2: RelayType: miredoconf: RelayType is not this role "cone": a relay, not a client (use transit6 teredo relay)
}
