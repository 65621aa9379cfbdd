package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pqc"
)

// standardLog is the log most tamper tests start from: 10 events sealed every 4, and
// a final seal. Records 4, 9 and 12 are seals.
func standardLog(t testing.TB) ([]byte, TrustRoot) {
	t.Helper()
	a, _ := detSigners(t)
	ka, _ := testKeys(t)
	l := buildLog(t, a, 4, events(10), true)
	return l.Bytes(), NewTrustRoot(ka.Public())
}

var standardSeals = []int{4, 9, 12}

func TestRoundTrip(t *testing.T) {
	ka, kb := testKeys(t)
	l, err := NewLog(ka, 4, clock()) // *pqc.PrivateKey is a Signer
	if err != nil {
		t.Fatal(err)
	}
	es := events(10)
	var appended []Record
	for _, e := range es {
		r, err := l.Append(e.kind, e.subject, e.version, e.detail)
		if err != nil {
			t.Fatal(err)
		}
		appended = append(appended, r)
	}
	if err := l.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := l.Seal(); err != nil { // nothing new since the last seal: no second seal
		t.Fatal(err)
	}
	b := l.Bytes()
	if l.Len() != 13 {
		t.Fatalf("Len = %d, want 13 (10 events, 3 seals)", l.Len())
	}
	if !bytes.HasPrefix(b, []byte("SKYAUDIT\x00\x00\x00\x01")) {
		t.Fatalf("header %q", b[:HeaderSize])
	}
	rep, err := Verify(b, NewTrustRoot(ka.Public(), kb.Public()), Strict())
	if err != nil {
		t.Fatal(err)
	}
	fs := frames(t, b)
	if rep.Records != 13 || rep.Seals != 3 || rep.Sealed != 13 || rep.Unsealed != 0 || rep.SealedSize != len(b) ||
		len(rep.Signers) != 1 || rep.Signers[0] != ka.ID() || len(rep.Warnings) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if !rep.First.Equal(epoch.Add(time.Millisecond)) || !rep.Last.Equal(epoch.Add(13*time.Millisecond)) {
		t.Errorf("time range %v … %v", rep.First, rep.Last)
	}
	if rep.Head != pqc.Sum512(fs[12]) {
		t.Errorf("head is not the last record's digest")
	}
	if rep.Kinds[KindSeal] != 3 || rep.Kinds[KindLoad] != 2 || rep.Kinds[KindOther] != 1 {
		t.Errorf("kinds %v", rep.Kinds)
	}

	// Every record decodes, re-encodes to itself, and is what Append returned.
	var prev [DigestSize]byte
	ev := 0
	for i, f := range fs {
		r := decode(t, f)
		if !bytes.Equal(encode(t, r), f) || r.Digest() != pqc.Sum512(f) || r.Prev != prev || r.Seq != uint64(i) {
			t.Fatalf("record %d does not round-trip: %+v", i, r)
		}
		prev = pqc.Sum512(f)
		if r.Kind == KindSeal {
			if r.Count != uint64(i) || r.Signer != ka.ID() {
				t.Errorf("seal %d: count %d signer %s", i, r.Count, r.Signer.Short())
			}
			continue
		}
		a := appended[ev]
		if a.Seq != r.Seq || a.Time != r.Time || a.Kind != r.Kind || a.Subject != r.Subject || a.Version != r.Version ||
			a.Detail != r.Detail || a.Prev != r.Prev || es[ev].detail != r.Detail {
			t.Errorf("record %d is %+v; Append returned %+v", i, r, a)
		}
		ev++
	}

	// Bytes only grows: an earlier result is a prefix of a later one.
	if _, err := l.Append(KindLoad, "late", "1.0.0", ""); err != nil {
		t.Fatal(err)
	}
	if b2 := l.Bytes(); !bytes.HasPrefix(b2, b) || len(b2) <= len(b) {
		t.Errorf("Bytes after Append is not an extension of Bytes before")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindLoad: "load", KindUpdateCommit: "update-commit", KindSeal: "seal", 0: "kind(0)", 9: "kind(9)"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), want)
		}
	}
}

func TestEmptyLog(t *testing.T) {
	ka, _ := testKeys(t)
	trust := NewTrustRoot(ka.Public())
	l, err := NewLog(ka, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(l.Bytes(), trust, Strict())
	wantErr(t, err, ErrUnsealed, 0, "record 0: unsealed tail: the log is empty")
	rep, err := Verify(l.Bytes(), trust)
	if err != nil || rep.Records != 0 || len(rep.Warnings) != 1 {
		t.Fatalf("non-strict: %+v %v", rep, err)
	}
	// A seal of nothing: who started the log, and when.
	if err := l.Seal(); err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(l.Bytes(), trust, Strict())
	if err != nil || rep.Records != 1 || rep.Seals != 1 {
		t.Fatalf("sealed empty log: %+v %v", rep, err)
	}
	if r := decode(t, frames(t, l.Bytes())[0]); r.Count != 0 || r.Prev != ([DigestSize]byte{}) {
		t.Errorf("seal of nothing: %+v", r)
	}
}

func TestNewLogRefuses(t *testing.T) {
	if _, err := NewLog(nil, 4, nil); err == nil {
		t.Error("nil signer accepted")
	}
	ka, _ := testKeys(t)
	if _, err := NewLog(ka, -1, nil); err == nil {
		t.Error("negative batch accepted")
	}
}

func TestAppendRefuses(t *testing.T) {
	ka, _ := testKeys(t)
	l, err := NewLog(ka, 0, clock())
	if err != nil {
		t.Fatal(err)
	}
	// At the limits, in multi-byte UTF-8: accepted.
	if _, err := l.Append(KindLoad, strings.Repeat("é", MaxSubject/2), strings.Repeat("v", MaxVersion), strings.Repeat("✓", MaxDetail/3)); err != nil {
		t.Fatal(err)
	}
	before := l.Bytes()
	for name, c := range map[string]struct {
		kind                     Kind
		subject, version, detail string
		want                     string
	}{
		"long subject":     {KindLoad, strings.Repeat("a", MaxSubject+1), "", "", "subject is 65 bytes; at most 64"},
		"long version":     {KindLoad, "x", strings.Repeat("1", MaxVersion+1), "", "version is 33 bytes; at most 32"},
		"long detail":      {KindRefuse, "x", "", strings.Repeat("d", MaxDetail+1), "detail is 257 bytes; at most 256"},
		"bad UTF-8 detail": {KindRefuse, "x", "", "bad \xff byte", "detail is not valid UTF-8"},
		"bad UTF-8 subj":   {KindRefuse, "x\xc3", "", "", "subject is not valid UTF-8"},
		"bad UTF-8 ver":    {KindRefuse, "x", "1.\xed\xa0\x80", "", "version is not valid UTF-8"},
		"kind seal":        {KindSeal, "x", "", "", "written by Seal only"},
		"kind zero":        {0, "x", "", "", "kind 0 is not a record kind"},
		"kind nine":        {9, "x", "", "", "kind 9 is not a record kind"},
	} {
		if _, err := l.Append(c.kind, c.subject, c.version, c.detail); !errors.Is(err, ErrField) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrField and %q", name, err, c.want)
		}
	}
	if !bytes.Equal(l.Bytes(), before) || l.Len() != 1 {
		t.Fatal("a refused Append changed the log")
	}
	if _, err := (Record{Kind: KindLoad, Signature: []byte{1}}).Encode(); !errors.Is(err, ErrField) {
		t.Errorf("Encode of an event with a signature: %v", err)
	}
	if _, err := (Record{Kind: KindSeal}).Encode(); !errors.Is(err, ErrField) {
		t.Errorf("Encode of an unsigned seal: %v", err)
	}
}

func TestSignerFailure(t *testing.T) {
	ka, _ := testKeys(t)
	trust := NewTrustRoot(ka.Public())
	fs := &failSigner{id: ka.ID(), fail: true}
	l, err := NewLog(fs, 2, clock())
	if err != nil {
		t.Fatal(err)
	}
	l.Append(KindLoad, "a", "", "")
	r, err := l.Append(KindLoad, "b", "", "")
	if !errors.Is(err, ErrSign) || r.Seq != 1 || !strings.Contains(err.Error(), "record 1 appended, but sealing failed") ||
		!strings.Contains(err.Error(), "vault unavailable") {
		t.Fatalf("Append completing a batch with a failing signer: %+v %v", r, err)
	}
	if l.Len() != 2 {
		t.Fatalf("Len = %d: the record must stay appended", l.Len())
	}
	rep, err := Verify(l.Bytes(), trust)
	if err != nil || rep.Unsealed != 2 {
		t.Fatalf("log with a failed seal: %+v %v", rep, err)
	}
	fs.fail, fs.sigSize = false, 100
	if err := l.Seal(); !errors.Is(err, ErrSign) || !strings.Contains(err.Error(), "100-byte signature") {
		t.Fatalf("short signature: %v", err)
	}
	// A signer that signs with a key other than the one it names is caught by Verify.
	fs.sigSize = pqc.SignatureSize
	if err := l.Seal(); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(l.Bytes(), trust, Strict())
	wantErr(t, err, ErrSealSignature, 2, "seal at record 2 does not verify with key "+ka.ID().Short())
}

func TestAutoSealRetry(t *testing.T) {
	ka, _ := testKeys(t)
	fs := &failSigner{id: ka.ID(), fail: true}
	l, _ := NewLog(fs, 1, clock())
	if _, err := l.Append(KindLoad, "a", "", ""); !errors.Is(err, ErrSign) {
		t.Fatal(err)
	}
	// The signer recovers: the next Append seals both records.
	l.signer = ka
	if _, err := l.Append(KindLoad, "b", "", ""); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(l.Bytes(), NewTrustRoot(ka.Public()), Strict())
	if err != nil || rep.Records != 3 || rep.Seals != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestConcurrentAppend(t *testing.T) {
	a, _ := detSigners(t)
	ka, _ := testKeys(t)
	l, err := NewLog(a, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := l.Append(KindLoad, fmt.Sprintf("mod-%d", g), fmt.Sprintf("1.0.%d", i), ""); err != nil {
					t.Error(err)
				}
				if i == 5 {
					if err := l.Seal(); err != nil {
						t.Error(err)
					}
				}
				_ = l.Bytes()
			}
		})
	}
	wg.Wait()
	if err := l.Seal(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(l.Bytes(), NewTrustRoot(ka.Public()), Strict())
	if err != nil || rep.Records-rep.Seals != 40 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestUnsealedTail(t *testing.T) {
	a, _ := detSigners(t)
	ka, _ := testKeys(t)
	trust := NewTrustRoot(ka.Public())
	b := buildLog(t, a, 4, events(11), false).Bytes() // seals at 4 and 9; records 10 … 12 unsealed
	rep, err := Verify(b, trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 13 || rep.Sealed != 10 || rep.Unsealed != 3 || len(rep.Warnings) != 1 ||
		rep.Warnings[0] != "unsealed tail: 3 records after the last seal (record 9)" {
		t.Fatalf("report %+v", rep)
	}
	if _, err := Verify(b[:rep.SealedSize], trust, Strict()); err != nil {
		t.Fatalf("the sealed prefix does not verify strictly: %v", err)
	}
	_, err = Verify(b, trust, Strict())
	wantErr(t, err, ErrUnsealed, 10, "record 10: unsealed tail: 3 records after the last seal (record 9)")

	// No seal at all.
	b = buildLog(t, a, 0, events(3), false).Bytes()
	_, err = Verify(b, trust, Strict())
	wantErr(t, err, ErrUnsealed, 0, "unsealed tail: 3 records and no seal")
}

func TestTimeBackwards(t *testing.T) {
	ka, _ := testKeys(t)
	times := []time.Time{epoch, epoch.Add(time.Second), epoch, epoch.Add(-time.Hour), epoch}
	i := 0
	l, _ := NewLog(ka, 0, func() time.Time { t := times[i%len(times)]; i++; return t })
	for range 4 {
		l.Append(KindOther, "", "", "")
	}
	l.Seal()
	rep, err := Verify(l.Bytes(), NewTrustRoot(ka.Public()), Strict())
	if err != nil || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "time goes backwards at 2 records, first at record 2") {
		t.Fatalf("%+v %v", rep, err)
	}
	if !rep.First.Equal(epoch) || !rep.Last.Equal(epoch) {
		t.Errorf("time range %v … %v", rep.First, rep.Last)
	}
}

// TestAlterAnyField alters each field of each record of the standard log and checks
// the error names the right check and record.
func TestAlterAnyField(t *testing.T) {
	b, trust := standardLog(t)
	_, db := detSigners(t)
	fs := frames(t, b)
	type mutation struct {
		name   string
		f      func(*Record)
		kind   error
		record func(i int) int // the record the error must name
		seal   bool            // applies to seals (else to events)
	}
	same := func(i int) int { return i }
	next := func(i int) int { return i + 1 }
	muts := []mutation{
		{"seq", func(r *Record) { r.Seq += 1 }, ErrSequence, same, false},
		{"seq", func(r *Record) { r.Seq += 1 }, ErrSequence, same, true},
		{"prev", func(r *Record) { r.Prev[63] ^= 1 }, ErrChain, same, false},
		{"prev", func(r *Record) { r.Prev[0] ^= 0x80 }, ErrChain, same, true},
		{"time", func(r *Record) { r.Time++ }, ErrChain, next, false},
		{"time", func(r *Record) { r.Time-- }, ErrSealSignature, same, true},
		{"kind", func(r *Record) { r.Kind = r.Kind%KindOther + 1 }, ErrChain, next, false},
		{"subject", func(r *Record) { r.Subject = "evil" }, ErrChain, next, false},
		{"version", func(r *Record) { r.Version += "1" }, ErrChain, next, false},
		{"detail", func(r *Record) { r.Detail = "nothing happened" }, ErrChain, next, false},
		{"count", func(r *Record) { r.Count-- }, ErrSealCount, same, true},
		{"signer", func(r *Record) { r.Signer = db.ID() }, ErrUntrustedKey, same, true},
		{"signature", func(r *Record) { r.Signature = bytes.Clone(r.Signature); r.Signature[17] ^= 4 }, ErrSealSignature, same, true},
	}
	for i := range fs {
		for _, m := range muts {
			r := decode(t, fs[i])
			if (r.Kind == KindSeal) != m.seal {
				continue
			}
			m.f(&r)
			tampered := append([][]byte(nil), fs...)
			tampered[i] = encode(t, r)
			_, err := Verify(assemble(tampered), trust)
			want := m.record(i)
			wantErr(t, err, m.kind, want, fmt.Sprintf("record %d", want))
		}
	}
	// The message of the commonest case, as people will read it.
	r := decode(t, fs[5])
	r.Detail = "forged"
	tampered := append([][]byte(nil), fs...)
	tampered[5] = encode(t, r)
	_, err := Verify(assemble(tampered), trust, Strict())
	wantErr(t, err, ErrChain, 6, "record 6: previous-record digest does not match (record 5 was altered or removed)")
}

func TestTamper(t *testing.T) {
	b, trust := standardLog(t)
	fs := frames(t, b)
	a, db := detSigners(t)
	ka, _ := testKeys(t)
	without := func(i int) [][]byte {
		return append(append([][]byte(nil), fs[:i]...), fs[i+1:]...)
	}
	insert := func(i int, f []byte) [][]byte {
		out := append([][]byte(nil), fs[:i]...)
		out = append(out, f)
		return append(out, fs[i:]...)
	}
	swap := func(i, j int) [][]byte {
		out := append([][]byte(nil), fs...)
		out[i], out[j] = out[j], out[i]
		return out
	}
	forged := encode(t, Record{Seq: 3, Time: decode(t, fs[3]).Time, Kind: KindLoad, Subject: "rootkit", Version: "1.0.0",
		Prev: pqc.Sum512(fs[2])})
	badSig := decode(t, fs[9])
	badSig.Signature = make([]byte, pqc.SignatureSize)
	otherSig := decode(t, fs[9])
	if otherSig.Signature, _ = a.Sign(DomainAudit, []byte("something else")); otherSig.Signature == nil {
		t.Fatal("sign")
	}
	wrongDomain := decode(t, fs[12])
	msg, _ := wrongDomain.sealMessage()
	wrongDomain.Signature, _ = ka.Sign("skyscope/index/v1", msg)
	miscount := decode(t, fs[9])
	miscount.Count = 8
	miscount = resign(t, miscount, a)

	cases := []struct {
		name   string
		log    []byte
		kind   error
		record int
		parts  []string
	}{
		{"remove an event", assemble(without(5)), ErrSequence, 5,
			[]string{"record 5: sequence number out of order: sequence number 6, want 5 (1 record missing before it"}},
		{"remove a record and rebuild the chain", assemble(rechain(t, without(5), 5, nil)), ErrSealSignature, 8,
			[]string{"seal at record 8 does not verify with key " + ka.ID().Short()}},
		{"remove, renumber, relink the next", func() []byte {
			out := without(5)
			r := decode(t, out[5])
			r.Seq = 5
			out[5] = encode(t, r)
			for i := 6; i < len(out); i++ {
				r := decode(t, out[i])
				r.Seq--
				if r.Kind == KindSeal {
					r.Count--
				}
				out[i] = encode(t, r)
			}
			return assemble(out)
		}(), ErrChain, 5, []string{"record 5: previous-record digest does not match (record 4 was altered or removed)"}},
		{"remove the first record", assemble(without(0)), ErrSequence, 0, []string{"record 0: sequence number out of order: sequence number 1, want 0"}},
		{"remove the first record, renumber", func() []byte {
			out := without(0)
			for i := range out {
				r := decode(t, out[i])
				r.Seq--
				if r.Kind == KindSeal {
					r.Count--
				}
				out[i] = encode(t, r)
			}
			return assemble(out)
		}(), ErrChain, 0, []string{"record 0: previous-record digest does not match (record 0 must name the zero digest"}},
		{"remove a seal", assemble(without(4)), ErrSequence, 4, nil},
		{"reorder two records", assemble(swap(6, 7)), ErrSequence, 6, []string{"sequence number 7, want 6"}},
		{"reorder, renumbered", func() []byte {
			out := swap(6, 7)
			r6, r7 := decode(t, out[6]), decode(t, out[7])
			r6.Seq, r7.Seq = 6, 7
			out[6], out[7] = encode(t, r6), encode(t, r7)
			return assemble(out)
		}(), ErrChain, 6, []string{"(record 5 was altered or removed)"}},
		{"insert a record", assemble(insert(3, forged)), ErrSequence, 4,
			[]string{"sequence number 3, want 4 (a duplicate of record 3's)"}},
		{"insert a record, renumber the rest", func() []byte {
			out := insert(3, forged)
			for i := 4; i < len(out); i++ {
				r := decode(t, out[i])
				r.Seq++
				if r.Kind == KindSeal {
					r.Count++
				}
				out[i] = encode(t, r)
			}
			return assemble(out)
		}(), ErrChain, 4, []string{"record 4: previous-record digest does not match (record 3 was altered or removed)"}},
		{"insert after the last seal", assemble(append(append([][]byte(nil), fs...), encode(t, Record{Seq: 13, Kind: KindLoad,
			Prev: pqc.Sum512(fs[12])}))), ErrUnsealed, 13, []string{"unsealed tail: 1 record after the last seal (record 12)"}},
		{"duplicate a record", assemble(insert(6, fs[5])), ErrSequence, 6, []string{"sequence number 5, want 6 (a duplicate of record 5's)"}},
		{"duplicate sequence number", func() []byte {
			out := append([][]byte(nil), fs...)
			r := decode(t, out[7])
			r.Seq = 6
			out[7] = encode(t, r)
			return assemble(out)
		}(), ErrSequence, 7, []string{"record 7:", "sequence number 6, want 7 (a duplicate of record 6's)"}},
		{"sequence goes back", func() []byte {
			out := append([][]byte(nil), fs...)
			r := decode(t, out[7])
			r.Seq = 2
			out[7] = encode(t, r)
			return assemble(out)
		}(), ErrSequence, 7, []string{"reordered or replayed"}},
		{"drop the last seal", assemble(fs[:12]), ErrUnsealed, 10, []string{"record 10: unsealed tail: 2 records after the last seal (record 9)"}},
		{"drop every seal", assemble(rechain(t, append(append(append([][]byte(nil), fs[:4]...), fs[5:9]...), fs[10:12]...), 0, nil)),
			ErrUnsealed, 0, []string{"unsealed tail: 10 records and no seal"}},
		{"zeroed seal signature", assemble(append(append(append([][]byte(nil), fs[:9]...), encode(t, badSig)), fs[10:]...)),
			ErrSealSignature, 9, []string{"seal at record 9 does not verify with key " + ka.ID().Short()}},
		{"seal signature replaced by another of the key's", assemble(append(append(append([][]byte(nil), fs[:9]...),
			encode(t, otherSig)), fs[10:]...)), ErrSealSignature, 9, []string{"seal at record 9 does not verify"}},
		{"last seal signed for another domain", assemble(append(append([][]byte(nil), fs[:12]...), encode(t, wrongDomain))),
			ErrSealSignature, 12, []string{"seal at record 12 does not verify with key"}},
		{"seal re-signed by an untrusted key", assemble(append(append([][]byte(nil), fs[:12]...), encode(t, resign(t, decode(t, fs[12]), db)))),
			ErrUntrustedKey, 12, []string{"seal at record 12 is signed by key " + db.ID().Short() + ", which is not in the trust root"}},
		{"log rewritten and re-sealed by an untrusted key", assemble(rechain(t, insert(3, forged), 3, db)),
			ErrUntrustedKey, 5, []string{"seal at record 5 is signed by key"}},
		{"seal with a wrong count", assemble(append(append(append([][]byte(nil), fs[:9]...), encode(t, miscount)), fs[10:]...)),
			ErrSealCount, 9, []string{"seal at record 9: seal count does not match its position: it claims to cover 8 records, 9 precede it"}},
		{"truncated in a length prefix", b[:offsets(t, b)[7]+2], ErrTruncated, 7, []string{"record 7: log truncated mid-record: the file ends 2 bytes into its 4-byte length prefix"}},
		{"truncated mid-record", b[:offsets(t, b)[7]+30], ErrTruncated, 7, []string{"record 7: log truncated mid-record: its length prefix says"}},
		{"truncated mid-seal", b[:len(b)-1], ErrTruncated, 12, nil},
		{"trailing byte", append(bytes.Clone(b), 0), ErrTruncated, 13, nil},
		{"zero length prefix", append(bytes.Clone(b), 0, 0, 0, 0), ErrMalformed, 13, []string{"length prefix 0"}},
		{"huge length prefix", append(bytes.Clone(b), 0xff, 0xff, 0xff, 0xff, 1), ErrMalformed, 13, []string{"length prefix 4294967295"}},
		{"record with a trailing byte", func() []byte {
			out := append([][]byte(nil), fs...)
			out[3] = append(bytes.Clone(out[3]), 0)
			return assemble(out)
		}(), ErrMalformed, 3, []string{"record 3: malformed record"}},
		{"empty file", nil, ErrNotLog, -1, nil},
		{"short header", []byte("SKYAUDIT\x00"), ErrNotLog, -1, nil},
		{"wrong magic", append([]byte("SKYAUDIX"), b[8:]...), ErrNotLog, -1, []string{`does not start with "SKYAUDIT"`}},
		{"format 2", append([]byte("SKYAUDIT\x00\x00\x00\x02"), b[12:]...), ErrVersion, -1, []string{"format 2; this build reads format 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.log, trust, Strict())
			wantErr(t, err, c.kind, c.record, c.parts...)
		})
	}
}

// TestTruncateAtSeal documents the limit of a chain: a log cut just after one of its
// seals verifies. Report.Records and Report.Head are what a reader compares with what
// it saw before to notice.
func TestTruncateAtSeal(t *testing.T) {
	b, trust := standardLog(t)
	full, err := Verify(b, trust, Strict())
	if err != nil {
		t.Fatal(err)
	}
	cut := b[:offsets(t, b)[10]] // records 0 … 9, ending with the seal at 9
	rep, err := Verify(cut, trust, Strict())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 10 || rep.Head == full.Head {
		t.Fatalf("truncated log: %+v", rep)
	}
}

// TestEveryTruncation cuts the standard log at every byte: only cuts at seals verify.
func TestEveryTruncation(t *testing.T) {
	b, trust := standardLog(t)
	offs := offsets(t, b)
	ok := map[int]bool{offs[5]: true, offs[10]: true, offs[13]: true}
	for n := 0; n <= len(b); n++ {
		_, err := Verify(b[:n], trust, Strict())
		if (err == nil) != ok[n] {
			t.Fatalf("cut at %d bytes: %v", n, err)
		}
		if err != nil {
			checkVerifyError(t, err, 13)
		}
	}
}

func TestTrustRoot(t *testing.T) {
	b, _ := standardLog(t)
	ka, kb := testKeys(t)
	// A mis-built trust root (key B under key A's id) does not make A's seals trusted.
	_, err := Verify(b, TrustRoot{ka.ID(): kb.Public()})
	wantErr(t, err, ErrUntrustedKey, 4, "seal at record 4 is signed by key "+ka.ID().Short())
	_, err = Verify(b, nil)
	wantErr(t, err, ErrUntrustedKey, 4)
	// A plain map works as a trust root.
	if _, err := Verify(b, map[pqc.KeyID]*pqc.PublicKey{ka.ID(): ka.Public()}, Strict()); err != nil {
		t.Fatal(err)
	}
	// A log sealed by B is refused by a verifier trusting A only.
	_, db := detSigners(t)
	bb := buildLog(t, db, 4, events(5), true).Bytes()
	_, err = Verify(bb, NewTrustRoot(ka.Public()))
	wantErr(t, err, ErrUntrustedKey, 4, "seal at record 4 is signed by key "+kb.ID().Short())
	// Two signers (a key rotation): both listed in the report.
	l := buildLog(t, ka, 0, events(2), true)
	l.signer = kb
	l.Append(KindKeyUse, "vault", "", "rotated to key B")
	l.Seal()
	rep, err := Verify(l.Bytes(), NewTrustRoot(ka.Public(), kb.Public()), Strict())
	if err != nil || len(rep.Signers) != 2 || rep.Signers[0] != ka.ID() || rep.Signers[1] != kb.ID() {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestDecodeRecord(t *testing.T) {
	b, _ := standardLog(t)
	fs := frames(t, b)
	ev, seal := fs[5], fs[4]
	for _, f := range [][]byte{ev, seal} {
		r := decode(t, f)
		if !bytes.Equal(encode(t, r), f) {
			t.Fatal("round trip")
		}
	}
	for name, c := range decodeRefusals(t, ev, seal) {
		if _, err := DecodeRecord(c.b); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrMalformed and %q", name, err, c.want)
		}
	}
}

type refusal struct {
	b    []byte
	want string
}

// rawRecord encodes a record map directly, bypassing Record's checks.
func rawRecord(t testing.TB, fields map[int]any) []byte {
	t.Helper()
	b, err := canon.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeRefusals(t testing.TB, ev, seal []byte) map[string]refusal {
	zero := make([]byte, 64)
	sig := bytes.Repeat([]byte("S"), pqc.SignatureSize) // printable, so the seed files stay small
	id := make([]byte, 32)
	return map[string]refusal{
		"empty":             {nil, "malformed record"},
		"truncated":         {ev[:len(ev)-1], "malformed record"},
		"trailing byte":     {append(bytes.Clone(ev), 0), "malformed record"},
		"non-minimal int":   {append([]byte{ev[0], 0x01, 0x18, ev[2]}, ev[3:]...), "not in canonical form"},
		"indefinite map":    {append(append([]byte{0xbf}, ev[1:]...), 0xff), "malformed record"},
		"tag":               {append([]byte{0xc1}, ev...), "malformed record"},
		"not a map":         {[]byte{0x80}, "malformed record"},
		"too big":           {make([]byte, MaxRecordSize+1), "8193 bytes; at most 8192"},
		"unknown key":       {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 7: zero, 11: 0}), "malformed record"},
		"missing prev":      {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1}), "not in canonical form"},
		"short prev":        {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 7: zero[:63]}), "previous-record digest is 63 bytes"},
		"null prev":         {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 7: nil}), "malformed record"},
		"kind 0":            {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 0, 7: zero}), "kind 0 is not a record kind"},
		"kind 9":            {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 9, 7: zero}), "kind 9 is not a record kind"},
		"kind too big":      {rawRecord(t, map[int]any{1: 0, 2: 0, 3: uint64(1 << 40), 7: zero}), "is not a record kind"},
		"empty subject key": {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 4: "", 7: zero}), "not in canonical form"},
		"subject as bytes":  {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 4: []byte("x"), 7: zero}), "cannot unmarshal byte string"},
		"invalid UTF-8":     {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 6: "bad \xff", 7: zero}), "malformed record"},
		"long subject":      {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 4: strings.Repeat("a", 65), 7: zero}), "subject is 65 bytes"},
		"long version":      {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 5: strings.Repeat("1", 33), 7: zero}), "version is 33 bytes"},
		"long detail":       {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 6: strings.Repeat("d", 257), 7: zero}), "detail is 257 bytes"},
		"event with count":  {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 1, 7: zero, 8: 3}), "an event (load) has a seal's count"},
		"event with signer": {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 2, 7: zero, 9: id}), "an event (refuse) has a seal's signer"},
		"event with sig":    {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 7, 7: zero, 10: sig}), "an event (other) has a seal's count, signer or signature"},
		"seal without sig":  {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 8, 7: zero, 9: id}), "seal signature is 0 bytes"},
		"seal short sig":    {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 8, 7: zero, 9: id, 10: sig[1:]}), "seal signature is 4626 bytes"},
		"seal without id":   {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 8, 7: zero, 10: sig}), "seal signer key id is 0 bytes"},
		"seal with detail":  {rawRecord(t, map[int]any{1: 0, 2: 0, 3: 8, 6: "x", 7: zero, 9: id, 10: sig}), "a seal has no subject"},
		"negative seq":      {rawRecord(t, map[int]any{1: -1, 2: 0, 3: 1, 7: zero}), "malformed record"},
		"seal byte flipped": {append(bytes.Clone(seal[:3]), append([]byte{seal[3] ^ 0x40}, seal[4:]...)...), "malformed record"},
	}
}
