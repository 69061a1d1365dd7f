package teredo

import (
	"net/netip"
	"unsafe"
)

// The peer list (RFC 4380 §5.2): one entry per IPv6 peer a client or relay
// talks to, holding the peer's mapping, whether it is trusted, and the state
// of the test that will make it trusted.
//
// Miredo's list refuses new peers once full ("do something in case of DoS
// against the peers list"); this one evicts instead, so a flood of sources
// displaces idle entries rather than locking out the next legitimate peer.
// Untrusted entries are evicted first, oldest first (they are linked in
// the order they became untrusted, so finding one is O(1) however few
// there are); trusted ones only when none is left, by sampled LRU.
// Entries live in fixed-size chunks that are allocated as the list grows and
// never move, indexed by a map from address to slot: the entries hold no
// pointers, so the garbage collector never scans them, and a million peers
// cost about 140 bytes each (BenchmarkNodePeerMemory measures it).

const (
	chunkBits = 12
	chunkLen  = 1 << chunkBits

	// evictSample is how many slots past the eviction hand a full table
	// examines to choose the entry it replaces: sampled LRU, O(1) per
	// insertion whatever the size.
	evictSample = 16

	// maxTablePeers bounds a table's size: slots are uint32 and queue and
	// pending indexes int32.
	maxTablePeers = 1 << 30
)

// Entry flags.
const (
	peerUsed     = 1 << iota // the slot holds a peer
	peerTrusted              // the mapping is trusted (RFC 4380 §5.2)
	peerNative               // the peer's address is not a Teredo address
	peerPinging              // a direct connectivity test (echo) is running
	peerBubbling             // a bubble test is running
	peerLocal                // learnt by local discovery (600 s validity)
)

// peerEntry is one peer. Times are nanoseconds on the node's clock (0:
// never). Its size decides the memory per peer: keep it small and free of
// pointers.
type peerEntry struct {
	addr     [16]byte
	mapIP    [4]byte
	mapPort  uint16
	flags    uint8
	tries    uint8 // probes sent by the running test
	lastRx   int64 // last packet accepted from the peer
	lastTx   int64 // last packet sent to the peer
	probeAt  int64 // last probe (bubble or echo) sent
	windowAt int64 // start of the 300 s bubble window
	window   uint8 // bubbles sent in the window without an answer
	_        [3]byte
	bubbles  uint32 // bubbles sent, in all
	nonce    [8]byte
	queue    int32 // index in Node.queues, -1 for none
	pending  int32 // index in Node.pending, -1 for none
	created  int64
	// prev and next link the untrusted entries, oldest first (noSlot:
	// none).
	prev, next uint32
}

// noSlot ends the untrusted list.
const noSlot = ^uint32(0)

// peerEntrySize is the size of an entry in its chunk.
const peerEntrySize = int(unsafe.Sizeof(peerEntry{}))

func (e *peerEntry) mapping() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4(e.mapIP), e.mapPort)
}

func (e *peerEntry) setMapping(m netip.AddrPort) {
	e.mapIP = m.Addr().Unmap().As4()
	e.mapPort = m.Port()
}

func (e *peerEntry) is(f uint8) bool { return e.flags&f != 0 }

// lastSeen is the entry's last activity, for eviction.
func (e *peerEntry) lastSeen() int64 { return max(e.lastRx, e.lastTx, e.created) }

// peerTable maps IPv6 addresses to entries, at most max of them.
type peerTable struct {
	index  map[[16]byte]uint32
	chunks [][]peerEntry
	free   []uint32 // slots below used that are empty
	used   uint32   // slots handed out so far (high-water mark)
	max    int
	hand   uint32 // where the next eviction sample starts
	// head and tail of the list of untrusted entries
	head, tail uint32
}

func newPeerTable(max int) peerTable {
	return peerTable{index: make(map[[16]byte]uint32), max: max, head: noSlot, tail: noSlot}
}

// link appends untrusted entry i to the untrusted list.
func (t *peerTable) link(i uint32, e *peerEntry) {
	e.prev, e.next = t.tail, noSlot
	if t.tail == noSlot {
		t.head = i
	} else {
		t.at(t.tail).next = i
	}
	t.tail = i
}

// unlink takes entry i off the untrusted list.
func (t *peerTable) unlink(i uint32, e *peerEntry) {
	if e.prev == noSlot {
		t.head = e.next
	} else {
		t.at(e.prev).next = e.next
	}
	if e.next == noSlot {
		t.tail = e.prev
	} else {
		t.at(e.next).prev = e.prev
	}
	e.prev, e.next = noSlot, noSlot
}

// setTrusted marks entry i trusted (or not), keeping the untrusted list.
func (t *peerTable) setTrusted(i uint32, e *peerEntry, trusted bool) {
	switch {
	case trusted && !e.is(peerTrusted):
		t.unlink(i, e)
		e.flags |= peerTrusted
	case !trusted && e.is(peerTrusted):
		e.flags &^= peerTrusted
		t.link(i, e)
	}
}

func (t *peerTable) len() int { return len(t.index) }

func (t *peerTable) at(i uint32) *peerEntry { return &t.chunks[i>>chunkBits][i&(chunkLen-1)] }

// lookup returns the entry of a, or nil.
func (t *peerTable) lookup(a [16]byte) (uint32, *peerEntry) {
	i, ok := t.index[a]
	if !ok {
		return 0, nil
	}
	return i, t.at(i)
}

// insert adds a zeroed entry for a, which must not be present. When the
// table is full it first evicts a victim chosen by evict's sampling and
// calls release on it, so that the caller frees what the victim holds. It
// returns the new entry.
func (t *peerTable) insert(a [16]byte, release func(uint32, *peerEntry)) (uint32, *peerEntry) {
	var i uint32
	switch {
	case len(t.free) > 0:
		i = t.free[len(t.free)-1]
		t.free = t.free[:len(t.free)-1]
	case int(t.used) < t.max:
		if int(t.used)>>chunkBits >= len(t.chunks) {
			// The last chunk is short when max is not a multiple of
			// chunkLen: it covers exactly the slots up to max.
			t.chunks = append(t.chunks, make([]peerEntry, min(chunkLen, t.max-int(t.used))))
		}
		i = t.used
		t.used++
	default:
		i = t.victim()
		v := t.at(i)
		release(i, v)
		delete(t.index, v.addr)
		if !v.is(peerTrusted) {
			t.unlink(i, v)
		}
	}
	e := t.at(i)
	*e = peerEntry{addr: a, flags: peerUsed, queue: -1, pending: -1}
	t.index[a] = i
	t.link(i, e)
	return i, e
}

// victim picks the entry to evict from a full table: the idle longest of
// the evictSample oldest untrusted entries, or if there is none, of
// evictSample slots from the hand.
func (t *peerTable) victim() uint32 {
	best, bestSeen := noSlot, int64(1<<62)
	if t.head != noSlot {
		for i, k := t.head, 0; i != noSlot && k < evictSample; k++ {
			e := t.at(i)
			if s := e.lastSeen(); s < bestSeen {
				best, bestSeen = i, s
			}
			i = e.next
		}
		return best
	}
	for k := uint32(0); k < evictSample; k++ {
		i := (t.hand + k) % t.used
		if s := t.at(i).lastSeen(); s < bestSeen {
			best, bestSeen = i, s
		}
	}
	t.hand = (best + 1) % t.used
	return best
}

// remove deletes entry i.
func (t *peerTable) remove(i uint32) {
	e := t.at(i)
	if !e.is(peerUsed) {
		return
	}
	delete(t.index, e.addr)
	if !e.is(peerTrusted) {
		t.unlink(i, e)
	}
	*e = peerEntry{queue: -1, pending: -1}
	t.free = append(t.free, i)
}

// indexEntryBytes estimates what one entry of the index map costs: a
// 20-byte slot (key and value) and a control byte, at the map's load
// factor (BenchmarkNodePeerMemory measures about 40 at a million entries).
const indexEntryBytes = 40

// memory estimates the bytes the table holds: its chunks, the index map
// and the free list.
func (t *peerTable) memory() int {
	n := 0
	for _, c := range t.chunks {
		n += cap(c) * peerEntrySize
	}
	return n + len(t.index)*indexEntryBytes + cap(t.free)*4
}
