package netsup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Frame limits. A frame travels in the message words of one IPC call (see the package
// comment), so the largest is what those words hold.
const (
	// MaxFrame is the largest Ethernet frame a vNIC carries (no FCS): the bytes of
	// one message's words after the registers.
	MaxFrame = 8 * (64 - 4)
	// MTU is the largest IP packet: MaxFrame less the Ethernet header.
	MTU = MaxFrame - EthHeader
	// EthHeader is an Ethernet II header: destination, source, EtherType.
	EthHeader = 14
	// MinFrame is the shortest frame the switch takes: an Ethernet header and an
	// IPv4 header without options.
	MinFrame = EthHeader + ipv4Header
)

// EtherTypes the switch knows.
const (
	EtherIPv4 = 0x0800
	EtherIPv6 = 0x86dd
)

// IP protocol numbers the client library builds and parses.
const (
	ProtoUDP = 17
)

const (
	ipv4Header = 20
	ipv6Header = 40
	udpHeader  = 8
)

// MAC is an Ethernet address.
type MAC [6]byte

// String formats m as six colon-separated hex bytes.
func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// ErrMalformed is what ParseFrame and ParseUDP return (wrapped, with the reason) for
// bytes that are not a well-formed frame of the kinds the switch carries.
var ErrMalformed = errors.New("malformed frame")

// Header is what the switch reads of a frame: the Ethernet addresses, the IP
// version's EtherType, the IP addresses and the transport protocol. Payload is the
// IP packet's transport bytes (within its stated length; Ethernet padding after it
// is not part of it); it aliases the frame.
type Header struct {
	DstMAC, SrcMAC MAC
	EtherType      uint16
	Src, Dst       netip.Addr
	Proto          uint8 // IPv4 protocol or IPv6 next header
	Payload        []byte
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// ParseFrame reads an Ethernet II frame carrying IPv4 or IPv6. It checks everything
// the switch relies on and refuses the rest: a frame shorter than MinFrame or longer
// than MaxFrame, another EtherType (VLAN tags and ARP included: the switch forwards
// by IP address, so no address resolution crosses it), a wrong IP version, an IPv4
// header length below 5 words or past the frame, an IPv4 header checksum that does
// not verify, an IP length past the frame or shorter than its header. It never
// panics and never reads past b.
func ParseFrame(b []byte) (Header, error) {
	var h Header
	if len(b) < MinFrame {
		return h, malformed("%d bytes, less than the %d of an Ethernet and an IPv4 header", len(b), MinFrame)
	}
	if len(b) > MaxFrame {
		return h, malformed("%d bytes, more than the %d a vNIC carries", len(b), MaxFrame)
	}
	copy(h.DstMAC[:], b[0:6])
	copy(h.SrcMAC[:], b[6:12])
	h.EtherType = binary.BigEndian.Uint16(b[12:14])
	p := b[EthHeader:]
	switch h.EtherType {
	case EtherIPv4:
		if p[0]>>4 != 4 {
			return h, malformed("EtherType IPv4 but IP version %d", p[0]>>4)
		}
		ihl := int(p[0]&0xf) * 4
		if ihl < ipv4Header || ihl > len(p) {
			return h, malformed("IPv4 header length %d (frame holds %d)", ihl, len(p))
		}
		total := int(binary.BigEndian.Uint16(p[2:4]))
		if total < ihl || total > len(p) {
			return h, malformed("IPv4 total length %d (header %d, frame holds %d)", total, ihl, len(p))
		}
		if checksum(p[:ihl], 0) != 0 {
			return h, malformed("IPv4 header checksum does not verify")
		}
		h.Proto = p[9]
		h.Src = netip.AddrFrom4([4]byte(p[12:16]))
		h.Dst = netip.AddrFrom4([4]byte(p[16:20]))
		h.Payload = p[ihl:total]
	case EtherIPv6:
		if len(p) < ipv6Header {
			return h, malformed("IPv6 header needs %d bytes, frame holds %d", ipv6Header, len(p))
		}
		if p[0]>>4 != 6 {
			return h, malformed("EtherType IPv6 but IP version %d", p[0]>>4)
		}
		n := int(binary.BigEndian.Uint16(p[4:6]))
		if n > len(p)-ipv6Header {
			return h, malformed("IPv6 payload length %d (frame holds %d)", n, len(p)-ipv6Header)
		}
		h.Proto = p[6]
		h.Src = netip.AddrFrom16([16]byte(p[8:24]))
		h.Dst = netip.AddrFrom16([16]byte(p[24:40]))
		h.Payload = p[ipv6Header : ipv6Header+n]
	default:
		return h, malformed("EtherType %#04x: the switch carries only IPv4 (0x0800) and IPv6 (0x86dd)", h.EtherType)
	}
	return h, nil
}

// checksum is the Internet checksum (RFC 1071) of b added to sum; over a header that
// holds its own checksum it is 0 when that verifies.
func checksum(b []byte, sum uint32) uint16 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// pseudoSum is the sum of the IP pseudo-header for a transport checksum.
func pseudoSum(src, dst netip.Addr, proto uint8, n int) uint32 {
	var sum uint32
	for _, a := range []netip.Addr{src, dst} {
		s := a.AsSlice()
		for i := 0; i < len(s); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(s[i:]))
		}
	}
	return sum + uint32(proto) + uint32(n)
}

// UDP is a datagram: its ports and data.
type UDP struct {
	SrcPort, DstPort uint16
	Data             []byte
}

// ParseUDP reads the UDP datagram of a parsed frame: the protocol is UDP, the UDP
// length fits the IP payload and is at least its header, and the checksum verifies
// (IPv4 may omit it with 0; IPv6 must have one, RFC 8200). Data aliases the frame.
func ParseUDP(h Header) (UDP, error) {
	var u UDP
	if h.Proto != ProtoUDP {
		return u, malformed("protocol %d is not UDP", h.Proto)
	}
	p := h.Payload
	if len(p) < udpHeader {
		return u, malformed("UDP datagram of %d bytes, less than its header", len(p))
	}
	n := int(binary.BigEndian.Uint16(p[4:6]))
	if n < udpHeader || n > len(p) {
		return u, malformed("UDP length %d (IP payload %d)", n, len(p))
	}
	sum := binary.BigEndian.Uint16(p[6:8])
	if sum != 0 || h.Src.Is6() {
		if checksum(p[:n], pseudoSum(h.Src, h.Dst, ProtoUDP, n)) != 0 {
			return u, malformed("UDP checksum does not verify")
		}
	}
	u.SrcPort = binary.BigEndian.Uint16(p[0:2])
	u.DstPort = binary.BigEndian.Uint16(p[2:4])
	u.Data = p[udpHeader:n]
	return u, nil
}

// BuildUDP returns an Ethernet frame from srcMAC to dstMAC carrying a UDP datagram
// from src:sport to dst:dport with data, over IPv4 or IPv6 (both addresses of one
// version), with correct checksums (the IPv4 header's and UDP's). It fails for mixed
// or invalid addresses and for data that does not fit MaxFrame.
func BuildUDP(srcMAC, dstMAC MAC, src, dst netip.Addr, sport, dport uint16, data []byte) ([]byte, error) {
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() || src.Is4In6() || dst.Is4In6() {
		return nil, fmt.Errorf("netsup: UDP from %v to %v: want two addresses of one IP version", src, dst)
	}
	ipHdr, et := ipv4Header, uint16(EtherIPv4)
	if src.Is6() {
		ipHdr, et = ipv6Header, EtherIPv6
	}
	n := udpHeader + len(data)
	if EthHeader+ipHdr+n > MaxFrame {
		return nil, fmt.Errorf("netsup: %d bytes of UDP data do not fit a frame (at most %d)", len(data), MaxFrame-EthHeader-ipHdr-udpHeader)
	}
	b := make([]byte, EthHeader+ipHdr+n)
	copy(b[0:6], dstMAC[:])
	copy(b[6:12], srcMAC[:])
	binary.BigEndian.PutUint16(b[12:14], et)
	ip := b[EthHeader:]
	if src.Is4() {
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:4], uint16(ipv4Header+n))
		ip[8] = 64 // TTL
		ip[9] = ProtoUDP
		s4, d4 := src.As4(), dst.As4()
		copy(ip[12:16], s4[:])
		copy(ip[16:20], d4[:])
		binary.BigEndian.PutUint16(ip[10:12], checksum(ip[:ipv4Header], 0))
	} else {
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:6], uint16(n))
		ip[6] = ProtoUDP
		ip[7] = 64 // hop limit
		s16, d16 := src.As16(), dst.As16()
		copy(ip[8:24], s16[:])
		copy(ip[24:40], d16[:])
	}
	u := ip[ipHdr:]
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(n))
	copy(u[udpHeader:], data)
	sum := checksum(u, pseudoSum(src, dst, ProtoUDP, n))
	if sum == 0 {
		sum = 0xffff // 0 means "no checksum" in IPv4 UDP (RFC 768)
	}
	binary.BigEndian.PutUint16(u[6:8], sum)
	return b, nil
}
