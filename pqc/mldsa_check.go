package pqc

import (
	"crypto/sha3"
)

// This file recomputes the public vector t = A·s1 + s2 of an ML-DSA-87 private key
// from its encoding, following FIPS 204 (ExpandA, NTT, Power2Round), so that
// ParsePrivateKey can check the stored t0 against it. circl derives t when it
// computes the public key but keeps t0 to itself, and without this check a private
// key file with a few flipped bits in t0 would load, and sign, as if it were intact.
// The arithmetic here is only ever compared against stored values, never used to
// sign, and it is variable-time: it runs once per key load, on the key's own bytes.

const (
	dsaQ    = 8380417 // the ML-DSA modulus q = 2²³ − 2¹³ + 1
	dsaN    = 256     // coefficients per polynomial
	dsaK    = 8       // rows of A (ML-DSA-87)
	dsaL    = 7       // columns of A (ML-DSA-87)
	dsaD    = 13      // bits dropped from t (Power2Round)
	dsaZeta = 1753    // a primitive 512th root of unity modulo q
	dsaNInv = 8347681 // 256⁻¹ mod q
)

type dsaPoly [dsaN]uint32

// dsaZetas[m] = ζ^brv₈(m) mod q, as FIPS 204 NTT and NTT⁻¹ use them.
var dsaZetas = func() (z [dsaN]uint32) {
	var pow [dsaN]uint32
	pow[0] = 1
	for i := 1; i < dsaN; i++ {
		pow[i] = uint32(uint64(pow[i-1]) * dsaZeta % dsaQ)
	}
	for m := range z {
		brv := 0
		for b := 0; b < 8; b++ {
			brv |= (m >> b & 1) << (7 - b)
		}
		z[m] = pow[brv]
	}
	return z
}()

func dsaMul(a, b uint32) uint32 { return uint32(uint64(a) * uint64(b) % dsaQ) }
func dsaAdd(a, b uint32) uint32 { return (a + b) % dsaQ }
func dsaSub(a, b uint32) uint32 { return (a + dsaQ - b) % dsaQ }

// ntt is FIPS 204 Algorithm 41.
func (w *dsaPoly) ntt() {
	m := 0
	for length := 128; length >= 1; length /= 2 {
		for start := 0; start < dsaN; start += 2 * length {
			m++
			z := dsaZetas[m]
			for j := start; j < start+length; j++ {
				t := dsaMul(z, w[j+length])
				w[j+length] = dsaSub(w[j], t)
				w[j] = dsaAdd(w[j], t)
			}
		}
	}
}

// invNTT is FIPS 204 Algorithm 42.
func (w *dsaPoly) invNTT() {
	m := dsaN
	for length := 1; length < dsaN; length *= 2 {
		for start := 0; start < dsaN; start += 2 * length {
			m--
			z := dsaQ - dsaZetas[m]
			for j := start; j < start+length; j++ {
				t := w[j]
				w[j] = dsaAdd(t, w[j+length])
				w[j+length] = dsaMul(z, dsaSub(t, w[j+length]))
			}
		}
	}
	for j := range w {
		w[j] = dsaMul(w[j], dsaNInv)
	}
}

// rejNTTPoly is FIPS 204 Algorithm 30 (with CoeffFromThreeBytes, Algorithm 14): the
// entry of Â (already in the NTT domain) for seed ρ ‖ column ‖ row.
func rejNTTPoly(rho []byte, col, row byte) (a dsaPoly) {
	g := sha3.NewSHAKE128()
	g.Write(rho)
	g.Write([]byte{col, row})
	var buf [168 * 5]byte // five SHAKE128 blocks cover 256 coefficients almost always
	g.Read(buf[:])
	for j, pos := 0, 0; j < dsaN; pos += 3 {
		if pos+3 > len(buf) {
			g.Read(buf[:])
			pos = 0
		}
		z := uint32(buf[pos]) | uint32(buf[pos+1])<<8 | uint32(buf[pos+2]&0x7f)<<16
		if z < dsaQ {
			a[j] = z
			j++
		}
	}
	return a
}

// unpackBits returns the i-th little-endian bits-wide field of b.
func unpackBits(b []byte, i, bits int) uint32 {
	var v uint32
	for k := 0; k < bits; k++ {
		bit := i*bits + k
		v |= uint32(b[bit/8]>>(bit%8)&1) << k
	}
	return v
}

// checkT0 reports the index of the first coefficient of the stored t0 in the
// ML-DSA-87 private key encoding sk that differs from Power2Round(A·s1 + s2), or −1
// if t0 is right. It also returns the recomputed t1, for tests. sk must have the
// right length and in-range s1, s2 coefficients (ParsePrivateKey checks both first).
func checkT0(sk []byte) (bad int, t1 [dsaK]dsaPoly) {
	rho := sk[:32]
	eta := sk[skEtaOffset : skEtaOffset+skEtaSize]
	t0 := sk[skEtaOffset+skEtaSize:]

	// s holds s1 (polynomials 0..l−1) then s2 (l..l+k−1), as elements of Z_q.
	var s [dsaL + dsaK]dsaPoly
	for p := range s {
		for j := 0; j < dsaN; j++ {
			s[p][j] = dsaSub(2, unpackBits(eta, p*dsaN+j, 3)) // field holds η − c
		}
	}
	var s1Hat [dsaL]dsaPoly
	for c := 0; c < dsaL; c++ {
		s1Hat[c] = s[c]
		s1Hat[c].ntt()
	}

	bad = -1
	for r := 0; r < dsaK; r++ {
		var t dsaPoly
		for c := 0; c < dsaL; c++ {
			a := rejNTTPoly(rho, byte(c), byte(r))
			for j := range t {
				t[j] = dsaAdd(t[j], dsaMul(a[j], s1Hat[c][j]))
			}
		}
		t.invNTT()
		for j := range t {
			v := dsaAdd(t[j], s[dsaL+r][j])
			// Power2Round: v = t1·2^d + r0 with r0 in (−2^(d−1), 2^(d−1)].
			r0 := int32(v & (1<<dsaD - 1))
			if r0 > 1<<(dsaD-1) {
				r0 -= 1 << dsaD
			}
			t1[r][j] = uint32((int32(v) - r0) >> dsaD)
			// The stored field is 2^(d−1) − r0 (FIPS 204 BitPack(t0, 2^(d−1)−1, 2^(d−1))).
			if bad < 0 && unpackBits(t0, r*dsaN+j, dsaD) != uint32(1<<(dsaD-1)-r0) {
				bad = r*dsaN + j
			}
		}
	}
	return bad, t1
}
