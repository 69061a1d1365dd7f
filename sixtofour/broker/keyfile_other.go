//go:build !unix

package broker

import "io/fs"

// worldReadable reports false: outside Unix the permission bits are
// synthesised (Windows reports 0666 for every writable file) and say
// nothing about who may read the file.
func worldReadable(fs.FileMode) bool { return false }
