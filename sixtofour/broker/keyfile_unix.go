//go:build unix

package broker

import "io/fs"

// worldReadable reports whether every user may read a file of mode m.
func worldReadable(m fs.FileMode) bool { return m.Perm()&0o004 != 0 }
