#!/usr/bin/env python3
"""Derives the expected bytes of teredo_test.go's hand-checked vectors
independently of the Go code: Python's ipaddress, struct, hmac and hashlib,
byte layouts typed from RFC 4380 §5.1.1, RFC 4861 §4.2/§4.6 and RFC 4443
§2.3. Run it to reproduce the hex strings quoted in the tests; it is not
run by `go test`."""
import hashlib
import hmac
import ipaddress
import struct


def a6(s):
    return ipaddress.IPv6Address(s).packed


def a4(s):
    return ipaddress.IPv4Address(s).packed


def icmp6_checksum(src, dst, msg):
    ph = a6(src) + a6(dst) + struct.pack("!I", len(msg)) + b"\0\0\0" + bytes([58])
    d = ph + msg
    if len(d) % 2:
        d += b"\0"
    s = sum(struct.unpack("!%dH" % (len(d) // 2), d))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv6(src, dst, nh, hlim, payload):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + a6(src) + a6(dst) + payload


def icmp6(src, dst, msg):
    c = icmp6_checksum(src, dst, msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def auth(nonce, conf=0, cid=b"", value=b""):
    return b"\x00\x01" + bytes([len(cid), len(value)]) + cid + value + nonce + bytes([conf])


def origin(ip, port):
    v = struct.unpack("!I", a4(ip))[0] ^ 0xFFFFFFFF
    return b"\x00\x00" + struct.pack("!HI", port ^ 0xFFFF, v)


def server_ll(ip, port=3544):
    v = struct.unpack("!I", a4(ip))[0] ^ 0xFFFFFFFF
    return str(ipaddress.IPv6Address(b"\xfe\x80" + b"\0" * 6 + b"\x80\x00" + struct.pack("!HI", port ^ 0xFFFF, v)))


def hx(b):
    return b.hex()


nonce = bytes(range(1, 9))

# Router Advertisement from the server 192.0.2.1 to fe80::ffff:ffff:ffff,
# origin 198.51.100.7:40000, nonce 01..08, with an MTU option of 1280.
src = server_ll("192.0.2.1")
dst = "fe80::ffff:ffff:ffff"
ra = bytes([134, 0, 0, 0, 0, 0]) + struct.pack("!HII", 0, 0, 2000)
pio = bytes([3, 4, 64, 0x40]) + struct.pack("!III", 0xFFFFFFFF, 0xFFFFFFFF, 0) + a6("2001:0:c000:201::")
mtu = bytes([5, 1, 0, 0]) + struct.pack("!I", 1280)
msg = icmp6(src, dst, ra + pio + mtu)
payload = auth(nonce) + origin("198.51.100.7", 40000) + ipv6(src, dst, 58, 255, msg)
print("RA server link-local", src)
print("RA payload", len(payload), hx(payload))

# Secure qualification: HMAC over nonce || confirmation || origin || IPv6
# packet (RFC 4380 §5.2.2) of an RS sent from fe80::ffff:ffff:ffff with
# client id "client-7", key "transit6 test key", nonce 01..08, and an origin
# indication of 198.51.100.7:40000 (as a server would add when relaying).
rs = icmp6(dst, "ff02::2", bytes([133, 0, 0, 0, 0, 0, 0, 0]))
pkt = ipv6(dst, "ff02::2", 58, 255, rs)
data = nonce + b"\x00" + origin("198.51.100.7", 40000) + pkt
key = b"transit6 test key"
print("HMAC-SHA1", hmac.new(key, data, hashlib.sha1).hexdigest())
print("HMAC-MD5", hmac.new(key, data, hashlib.md5).hexdigest())
data_no_origin = nonce + b"\x00" + pkt
print("HMAC-SHA1 no origin", hmac.new(key, data_no_origin, hashlib.sha1).hexdigest())
