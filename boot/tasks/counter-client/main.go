// Command counter-client calls the counter service without pause and checks every
// answer: the counts must run 0, 1, 2, … with none lost or repeated, and the version
// answering may only go up. The module manager endows it with the service's endpoint
// (its manifest asks for svc-counter, which the policy allows it alone). It reports
// progress, and ends after answers from two versions and 2,000 calls (or after
// -calls calls).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

func main() {
	limit := flag.Int("calls", 200_000, "end after this many calls")
	flag.Parse()
	e := usercall.Env()
	const service = abi.InitFirstFree
	var versions []uint64
	start := time.Now()
	next := time.Now().Add(5 * time.Second)
	calls, after := 0, 0
	for calls < *limit {
		info, err := e.Call(service, abi.NewMsgInfo(1, 0, 0))
		if err != nil || info.Len() != 2 {
			fmt.Printf("counter-client: call %d failed: %v\n", calls, err)
			os.Exit(1)
		}
		count, ver := e.MR(0), e.MR(1)
		if count != uint64(calls) {
			fmt.Printf("counter-client: call %d answered count %d by version %d: a call was lost or repeated\n", calls, count, ver)
			os.Exit(1)
		}
		if len(versions) == 0 || versions[len(versions)-1] != ver {
			if len(versions) > 0 && ver < versions[len(versions)-1] {
				fmt.Printf("counter-client: version went back from %d to %d\n", versions[len(versions)-1], ver)
				os.Exit(1)
			}
			versions = append(versions, ver)
			fmt.Printf("counter-client: call %d answered by version %d\n", calls, ver)
		}
		calls++
		if len(versions) >= 2 {
			after++
			if after >= 2000 {
				break
			}
		}
		if time.Now().After(next) {
			fmt.Printf("counter-client: %d calls answered\n", calls)
			next = time.Now().Add(5 * time.Second)
		}
	}
	fmt.Printf("counter-client: %d calls in %v, none lost or repeated; versions %v\n", calls, time.Since(start).Round(time.Millisecond), versions)
}
