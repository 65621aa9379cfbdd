package abi

// Rights is the set of rights a capability carries. Each object type defines what each
// right allows (see ARCHITECTURE.md, "Rights"); derivation can only remove rights.
type Rights uint8

// The rights, seL4 style.
const (
	RightRead       Rights = 1 << iota // receive, wait, read slots or registers, map readable
	RightWrite                         // send, signal, modify, configure, map writable
	RightGrant                         // transfer capabilities with a message sent through this capability
	RightGrantReply                    // transfer capabilities in the reply to a call received through this capability
	// AllRights is every right.
	AllRights Rights = RightRead | RightWrite | RightGrant | RightGrantReply
)

// Has reports whether r includes every right in want.
func (r Rights) Has(want Rights) bool { return r&want == want }

// Valid reports whether r names only defined rights.
func (r Rights) Valid() bool { return r&^AllRights == 0 }

// String returns the rights as "RWGP" letters, '-' for each missing right.
func (r Rights) String() string {
	b := []byte("----")
	for i, c := range "RWGP" {
		if r&(1<<i) != 0 {
			b[i] = byte(c)
		}
	}
	return string(b)
}
