package netdemo

import (
	"regexp"
	"testing"
	"time"
)

// BenchmarkSupervisorRoundTrip: udpping and udpecho in two containers of the
// simulated machine, b.N UDP round trips (two frames each: four calls to the
// supervisor, each charged to its container) through the NIC supervisor task. The
// time is the host's for the whole path: user library, simulated kernel IPC, the
// supervisor's checks and queues. Boot and ctr are included once.
func BenchmarkSupervisorRoundTrip(b *testing.B) {
	b.ReportAllocs()
	_, console := sessionWith(b, b.N,
		"ctr run --mem 2M --net eth0 --allow 10.88.0.3/32 --name echo udpecho",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.2/32 --name ping udpping",
		"sleep 100s")
	if !regexp.MustCompile(`udpping: \d+ sent, \d+ echoed`).MatchString(console) {
		b.Fatalf("the pings did not complete:\n%s", console)
	}
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(time.Microsecond), "µs/roundtrip")
}
