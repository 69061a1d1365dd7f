package netns

import "errors"

var (
	// ErrBadName is returned by [Owner] for a name the harness did not
	// create.
	ErrBadName = errors.New("netns: not a harness namespace name")
	// ErrSetns reports that a thread could not enter (or leave) a
	// namespace.
	ErrSetns = errors.New("netns: setns failed")
)
