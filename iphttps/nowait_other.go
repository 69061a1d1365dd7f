//go:build !unix

package iphttps

// readNow is not implemented here: reads in no-wait mode find nothing,
// which turns the optimisation off.
func (c *noWaitConn) readNow([]byte) (int, error) { return 0, errWouldBlock }
