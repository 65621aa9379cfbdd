package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/pipeline/audit"
	"github.com/skyscope-os/skyscope/pqc"
)

// auditVerify checks an audit log (pipeline/audit, docs/AUDIT.md) against trusted
// keys and prints what it holds.
func auditVerify(args []string, stdout io.Writer) error {
	fs := newFlags("audit verify", "--pub P [--pub P2 ...] [--strict] LOGFILE", stdout)
	var pubs multi
	fs.Var(&pubs, "pub", "public key `FILE` trusted to seal the log (repeatable; required)")
	strict := fs.Bool("strict", false, "fail if records follow the last seal (default: warn)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(pubs) == 0 || fs.NArg() != 1 {
		return usageError{"want at least one --pub and one LOGFILE"}
	}
	var keys []*pqc.PublicKey
	for _, p := range pubs {
		k, err := pqc.LoadPublicKey(p)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var opts []audit.Option
	if *strict {
		opts = append(opts, audit.Strict())
	}
	rep, err := audit.Verify(data, audit.NewTrustRoot(keys...), opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	sealed := "every record is sealed"
	if rep.Unsealed > 0 {
		sealed = fmt.Sprintf("%d sealed, %d after the last seal", rep.Sealed, rep.Unsealed)
	}
	fmt.Fprintf(stdout, "%s: OK: %s (%s, %s); %s\n", path, plural(rep.Records, "record"),
		plural(rep.Records-rep.Seals, "event"), plural(rep.Seals, "seal"), sealed)
	for _, id := range rep.Signers {
		fmt.Fprintf(stdout, "signer    %s\n", id)
	}
	if rep.Records > 0 {
		fmt.Fprintf(stdout, "time      %s … %s\n", rep.First.UTC().Format(time.RFC3339Nano), rep.Last.UTC().Format(time.RFC3339Nano))
	}
	var kinds []string
	for k := audit.KindLoad; k <= audit.KindSeal; k++ {
		if n := rep.Kinds[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(kinds) > 0 {
		fmt.Fprintf(stdout, "kinds     %s\n", strings.Join(kinds, ", "))
	}
	fmt.Fprintf(stdout, "head      %x…\n", rep.Head[:16])
	for _, w := range rep.Warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	return nil
}

// plural returns "1 seal" or "n seals".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
