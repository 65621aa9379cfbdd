package descriptor

import (
	"bytes"
	"errors"
	mathrand "math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

var (
	keysOnce      sync.Once
	signer, other *pqc.PrivateKey
)

// detKey returns an ML-DSA-87 key whose seed is derived from seed, so the fuzz seed
// corpora verify on every run.
func detKey(seed uint64) *pqc.PrivateKey {
	var s [32]byte
	s[0] = byte(seed)
	k, err := pqc.GenerateKey(mathrand.NewChaCha8(s))
	if err != nil {
		panic(err)
	}
	return k
}

func keys() (*pqc.PrivateKey, *pqc.PrivateKey) {
	keysOnce.Do(func() { signer, other = detKey(1), detKey(2) })
	return signer, other
}

func trust() map[pqc.KeyID]*pqc.PublicKey {
	k, _ := keys()
	return map[pqc.KeyID]*pqc.PublicKey{k.ID(): k.Public()}
}

func digest(b byte) []byte { return bytes.Repeat([]byte{b}, 64) }

// valid returns a descriptor that uses every field.
func valid() *Descriptor {
	return &Descriptor{
		Format: FormatVersion,
		Name:   "web",
		Image: []ModuleRef{
			{Module: "httpd", Version: modpkg.Version{Major: 1, Minor: 2, Patch: 3}, Digest: digest(1)},
			{Module: "logger", Version: modpkg.Version{Major: 0, Minor: 4}, Digest: digest(2)},
		},
		Entry: []string{"httpd", "logger"},
		Namespaces: Namespaces{
			Mounts: []Mount{
				{Source: "/srv/web", Target: "/var/www", ReadOnly: true},
				{Source: "/data/web-cache", Target: "/cache"},
			},
			Network: []NIC{{Name: "eth0", Allow: []string{"10.0.0.0/8", "2001:db8::/32"}}},
			IPC:     []string{"web.http"},
			Users:   []UIDMap{{Inside: 0, Outside: 100000, Count: 1000}, {Inside: 1000, Outside: 200000, Count: 10}},
		},
		Limits: Limits{
			CPUBudget: 25_000_000, CPUPeriod: 100_000_000, CPUPriority: 100,
			Memory: 256 << 20, MaxTasks: 64, IOBytesPerSec: 50 << 20, IOOpsPerSec: 1000,
			OOM: OOMKillLargestTask, Devices: []string{"null", "random", "tty:0"},
		},
		Links: []Link{
			{Peer: "db", Service: "db.sql", Rights: abi.RightRead | abi.RightWrite},
			{Peer: "auth", Service: "auth.token", Rights: abi.RightRead | abi.RightGrant, AllowGrant: true},
		},
		Parent: "tenant-a",
	}
}

// minimal returns a descriptor with only the required fields.
func minimal() *Descriptor {
	return &Descriptor{
		Format: FormatVersion, Name: "m",
		Image:  []ModuleRef{{Module: "init", Version: modpkg.Version{Patch: 1}, Digest: digest(3)}},
		Entry:  []string{"init"},
		Limits: Limits{Memory: 1 << 20, MaxTasks: 1},
	}
}

func encode(t testing.TB, d *Descriptor) []byte {
	t.Helper()
	b, err := Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, d := range []*Descriptor{valid(), minimal()} {
		b := encode(t, d)
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, d)
		}
	}
}

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(d *Descriptor)
		field string // the message must name it
	}{
		{"format", func(d *Descriptor) { d.Format = 2 }, "format"},
		{"name empty", func(d *Descriptor) { d.Name = "" }, "name"},
		{"name chars", func(d *Descriptor) { d.Name = "Web" }, "name"},
		{"name digit first", func(d *Descriptor) { d.Name = "1web" }, "name"},
		{"name long", func(d *Descriptor) { d.Name = strings.Repeat("a", 65) }, "name"},
		{"image empty", func(d *Descriptor) { d.Image = nil }, "image"},
		{"image too many", func(d *Descriptor) {
			for i := range 65 {
				d.Image = append(d.Image, ModuleRef{Module: "m" + strings.Repeat("x", i), Version: modpkg.Version{Major: 1}, Digest: digest(1)})
			}
		}, "image"},
		{"module name", func(d *Descriptor) { d.Image[1].Module = "Logger" }, "image[1].module"},
		{"module twice", func(d *Descriptor) { d.Image[1].Module = "httpd" }, "image[1].module"},
		{"module version", func(d *Descriptor) { d.Image[0].Version = modpkg.Version{} }, "image[0].version"},
		{"module digest", func(d *Descriptor) { d.Image[0].Digest = digest(1)[:32] }, "image[0].digest"},
		{"entry empty", func(d *Descriptor) { d.Entry = nil }, "entry"},
		{"entry not in image", func(d *Descriptor) { d.Entry[1] = "sshd" }, "entry[1]"},
		{"entry twice", func(d *Descriptor) { d.Entry[1] = "httpd" }, "entry[1]"},
		{"mount source relative", func(d *Descriptor) { d.Namespaces.Mounts[0].Source = "srv/web" }, "namespaces.mounts[0].source"},
		{"mount source dotdot", func(d *Descriptor) { d.Namespaces.Mounts[0].Source = "/srv/../etc" }, "namespaces.mounts[0].source"},
		{"mount source unclean", func(d *Descriptor) { d.Namespaces.Mounts[0].Source = "/srv//web/" }, "namespaces.mounts[0].source"},
		{"mount source empty", func(d *Descriptor) { d.Namespaces.Mounts[0].Source = "" }, "namespaces.mounts[0].source"},
		{"mount target relative", func(d *Descriptor) { d.Namespaces.Mounts[1].Target = "cache" }, "namespaces.mounts[1].target"},
		{"mount target dotdot", func(d *Descriptor) { d.Namespaces.Mounts[1].Target = "/.." }, "namespaces.mounts[1].target"},
		{"mount target unclean", func(d *Descriptor) { d.Namespaces.Mounts[1].Target = "/cache/./x" }, "namespaces.mounts[1].target"},
		{"mount target twice", func(d *Descriptor) { d.Namespaces.Mounts[1].Target = "/var/www" }, "namespaces.mounts[1].target"},
		{"nic name", func(d *Descriptor) { d.Namespaces.Network[0].Name = "eth_0" }, "namespaces.network[0].name"},
		{"nic name long", func(d *Descriptor) { d.Namespaces.Network[0].Name = strings.Repeat("e", 16) }, "namespaces.network[0].name"},
		{"nic twice", func(d *Descriptor) {
			d.Namespaces.Network = append(d.Namespaces.Network, NIC{Name: "eth0"})
		}, "namespaces.network[1].name"},
		{"cidr invalid", func(d *Descriptor) { d.Namespaces.Network[0].Allow[0] = "10.0.0.0" }, "namespaces.network[0].allow[0]"},
		{"cidr host bits", func(d *Descriptor) { d.Namespaces.Network[0].Allow[0] = "10.1.0.0/8" }, "namespaces.network[0].allow[0]"},
		{"cidr non-canonical", func(d *Descriptor) { d.Namespaces.Network[0].Allow[1] = "2001:DB8::/32" }, "namespaces.network[0].allow[1]"},
		{"cidr twice", func(d *Descriptor) { d.Namespaces.Network[0].Allow[1] = "10.0.0.0/8" }, "namespaces.network[0].allow[1]"},
		{"ipc name", func(d *Descriptor) { d.Namespaces.IPC[0] = "Web" }, "namespaces.ipc[0]"},
		{"ipc twice", func(d *Descriptor) { d.Namespaces.IPC = append(d.Namespaces.IPC, "web.http") }, "namespaces.ipc[1]"},
		{"uid count", func(d *Descriptor) { d.Namespaces.Users[1].Count = 0 }, "namespaces.users[1].count"},
		{"uid inside wraps", func(d *Descriptor) { d.Namespaces.Users[1].Inside = 1<<32 - 5 }, "namespaces.users[1].inside"},
		{"uid outside wraps", func(d *Descriptor) { d.Namespaces.Users[1].Outside = 1<<32 - 5 }, "namespaces.users[1].outside"},
		{"uid inside overlap", func(d *Descriptor) { d.Namespaces.Users[1].Inside = 999 }, "namespaces.users[1].inside"},
		{"uid outside overlap", func(d *Descriptor) { d.Namespaces.Users[1].Outside = 100999 }, "namespaces.users[1].outside"},
		{"root to privileged", func(d *Descriptor) { d.Parent, d.Namespaces.Users[0].Outside = "", 1000 }, "namespaces.users[0].outside"},
		{"gid root to privileged", func(d *Descriptor) { d.Parent, d.Namespaces.Groups = "", []UIDMap{{Inside: 0, Outside: 10, Count: 1}} }, "namespaces.groups[0].outside"},
		{"gid outside root", func(d *Descriptor) { d.Namespaces.Groups = []UIDMap{{Inside: 5, Outside: 0, Count: 1}} }, "namespaces.groups[0].outside"},
		{"gid overlap", func(d *Descriptor) {
			d.Namespaces.Groups = []UIDMap{{Inside: 0, Outside: 100000, Count: 10}, {Inside: 5, Outside: 300000, Count: 1}}
		}, "namespaces.groups[1].inside"},
		{"too many uid maps", func(d *Descriptor) {
			d.Namespaces.Users = nil
			for i := range abi.MaxIDMaps + 1 {
				d.Namespaces.Users = append(d.Namespaces.Users, UIDMap{Inside: uint32(i) + 1, Outside: 100000 + uint32(i), Count: 1})
			}
		}, "namespaces.users"},
		{"outside root", func(d *Descriptor) { d.Namespaces.Users[1].Outside = 0 }, "namespaces.users[1].outside"},
		{"cpu budget only", func(d *Descriptor) { d.Limits.CPUPeriod = 0 }, "limits.cpu"},
		{"cpu period only", func(d *Descriptor) { d.Limits.CPUBudget = 0 }, "limits.cpu"},
		{"cpu budget > period", func(d *Descriptor) { d.Limits.CPUBudget = d.Limits.CPUPeriod + 1 }, "limits.cpu"},
		{"cpu priority", func(d *Descriptor) { d.Limits.CPUPriority = 256 }, "limits.cpu-priority"},
		{"memory zero", func(d *Descriptor) { d.Limits.Memory = 0 }, "limits.memory"},
		{"memory huge", func(d *Descriptor) { d.Limits.Memory = 1<<48 + 1 }, "limits.memory"},
		{"tasks zero", func(d *Descriptor) { d.Limits.MaxTasks = 0 }, "limits.max-tasks"},
		{"oom policy", func(d *Descriptor) { d.Limits.OOM = 2 }, "limits.oom"},
		{"device name", func(d *Descriptor) { d.Limits.Devices[0] = "Null" }, "limits.devices[0]"},
		{"device empty", func(d *Descriptor) { d.Limits.Devices[0] = "" }, "limits.devices[0]"},
		{"device twice", func(d *Descriptor) { d.Limits.Devices[2] = "null" }, "limits.devices[2]"},
		{"devices too many", func(d *Descriptor) { d.Limits.Devices = make([]string, 65) }, "limits.devices"},
		{"link peer", func(d *Descriptor) { d.Links[0].Peer = "DB" }, "links[0].peer"},
		{"link to self", func(d *Descriptor) { d.Links[0].Peer = "web" }, "links[0].peer"},
		{"link service", func(d *Descriptor) { d.Links[0].Service = "" }, "links[0].service"},
		{"link twice", func(d *Descriptor) { d.Links[1] = d.Links[0] }, "links[1].service"},
		{"link no rights", func(d *Descriptor) { d.Links[0].Rights = 0 }, "links[0].rights"},
		{"link grant-reply", func(d *Descriptor) { d.Links[0].Rights |= abi.RightGrantReply }, "links[0].rights"},
		{"link undefined right", func(d *Descriptor) { d.Links[0].Rights = 0x10 }, "links[0].rights"},
		{"link grant without flag", func(d *Descriptor) { d.Links[1].AllowGrant = false }, "links[1].rights"},
		{"parent name", func(d *Descriptor) { d.Parent = "Tenant" }, "parent"},
		{"parent self", func(d *Descriptor) { d.Parent = "web" }, "parent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.edit(d)
			err := d.Check()
			if err == nil {
				t.Fatal("Check accepted it")
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), ": "+tt.field+": ") {
				t.Fatalf("got %q; want ErrInvalid naming %s", err, tt.field)
			}
			if _, err := Encode(d); err == nil {
				t.Fatal("Encode accepted it")
			}
			// The same descriptor, encoded without the check, is refused by Decode.
			b, err := canon.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(b); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode: got %v", err)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	d := valid()
	b := encode(t, d)
	if again := encode(t, d.clone()); !bytes.Equal(b, again) {
		t.Fatal("two encodings of one descriptor differ")
	}
	// nil and empty lists have one byte form.
	m, e := minimal(), minimal()
	e.Links, e.Namespaces.Mounts, e.Limits.Devices = []Link{}, []Mount{}, []string{}
	if !bytes.Equal(encode(t, m), encode(t, e)) {
		t.Fatal("nil and empty lists encode differently")
	}
	mb := encode(t, m)
	if mb[0] != 0xa6 || b[0] != 0xa8 || b[1] != 0x01 || b[2] != 0x01 {
		t.Fatalf("unexpected encoding prefix % x / % x", mb[:3], b[:3])
	}
	bad := map[string][]byte{
		"non-minimal integer": append([]byte{0xa8, 0x01, 0x18, 0x01}, b[3:]...),
		"indefinite map":      append(append([]byte{0xbf}, b[1:]...), 0xff),
		"unknown field":       append(append([]byte{0xa9}, b[1:]...), 0x09, 0x00),
		"duplicate field":     append(append([]byte{0xa9}, b[1:]...), 0x08, 0x61, 'x'),
		"explicit empty list": append(append([]byte{0xa7}, mb[1:]...), 0x07, 0x80),
		"trailing byte":       append(bytes.Clone(b), 0x00),
		"truncated":           b[:len(b)-1],
		"empty":               {},
	}
	for name, in := range bad {
		if _, err := Decode(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if _, err := Decode(make([]byte, MaxDescriptorSize+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized: got %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	k, o := keys()
	d := valid()
	s, err := Sign(k, d)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(s, trust())
	if err != nil {
		t.Fatal(err)
	}
	got := v.Descriptor()
	if !reflect.DeepEqual(got, d) || v.Signer() != k.ID() || v.Digest() != pqc.Sum512(encode(t, d)) {
		t.Fatalf("verified %+v signed by %s", got, v.Signer())
	}
	// The accessor returns a copy.
	got.Image[0].Digest[0] ^= 1
	got.Entry[0] = "x"
	got.Namespaces.Network[0].Allow[0] = "x"
	if !reflect.DeepEqual(v.Descriptor(), d) {
		t.Fatal("modifying the returned descriptor changed the verified one")
	}

	// Untrusted key: refused, naming the key.
	so, err := Sign(o, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []map[pqc.KeyID]*pqc.PublicKey{trust(), nil} {
		_, err = Verify(so, tr)
		if !errors.Is(err, ErrUntrustedKey) || !strings.Contains(err.Error(), o.ID().String()) {
			t.Fatalf("untrusted key: got %v", err)
		}
	}
	// A key trusted under another key's id does not help.
	if _, err := Verify(so, map[pqc.KeyID]*pqc.PublicKey{o.ID(): k.Public()}); !errors.Is(err, ErrSignature) {
		t.Fatalf("wrong key for id: got %v", err)
	}
	// A signature for another domain does not verify.
	b := encode(t, d)
	sig, _ := k.Sign(modpkg.DomainManifest, b)
	id := k.ID()
	wrong, _ := canon.Marshal(&envelope{Format: FormatVersion, Signer: id[:], Descriptor: b, Signature: sig})
	if _, err := Verify(wrong, trust()); !errors.Is(err, ErrSignature) {
		t.Fatalf("other domain: got %v", err)
	}
	// Invalid descriptors cannot be signed.
	d.Limits.Memory = 0
	if _, err := Sign(k, d); !errors.Is(err, ErrInvalid) {
		t.Fatalf("signing an invalid descriptor: got %v", err)
	}
}

func TestTamper(t *testing.T) {
	k, _ := keys()
	s, err := Sign(k, minimal())
	if err != nil {
		t.Fatal(err)
	}
	tr := trust()
	step := 1
	if testing.Short() {
		step = 37
	}
	for i := 0; i < len(s); i += step {
		for _, x := range []byte{0x01, 0x80} {
			bad := bytes.Clone(s)
			bad[i] ^= x
			if _, err := Verify(bad, tr); err == nil {
				t.Fatalf("byte %d ^ %#x: accepted", i, x)
			}
		}
	}
	for _, bad := range [][]byte{s[:len(s)-1], append(bytes.Clone(s), 0), {}} {
		if _, err := Verify(bad, tr); !errors.Is(err, ErrMalformed) {
			t.Fatalf("got %v, want ErrMalformed", err)
		}
	}
}

func TestOOMPolicyString(t *testing.T) {
	if OOMKillContainer.String() != "kill-container" || OOMKillLargestTask.String() != "kill-largest-task" || OOMPolicy(7).String() != "OOMPolicy(7)" {
		t.Fatal("OOMPolicy.String")
	}
}
