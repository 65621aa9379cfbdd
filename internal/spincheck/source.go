package spincheck

import (
	"fmt"
	"regexp"
	"strings"
)

// Reading a model's source, for the tests that keep a model and its Go code in step.

var (
	commentRE = regexp.MustCompile(`(?s)/\*.*?\*/`)
	transRE   = regexp.MustCompile(`TRANS\(\s*(\w+)\s*,\s*(\w+)\s*\)`)
)

// Mtype returns the names the model's `mtype:name = { … }` declaration lists, in
// order (comments are ignored).
func Mtype(src, name string) ([]string, error) {
	src = commentRE.ReplaceAllString(src, "")
	m := regexp.MustCompile(`mtype:` + regexp.QuoteMeta(name) + `\s*=\s*\{([^}]*)\}`).FindStringSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("no mtype:%s declaration", name)
	}
	var names []string
	for _, n := range strings.Split(m[1], ",") {
		names = append(names, strings.TrimSpace(n))
	}
	return names, nil
}

// Transitions returns the model's TRANS(from, to) steps as "from→to" (comments and
// the #define of TRANS itself are ignored).
func Transitions(src string) map[string]bool {
	src = commentRE.ReplaceAllString(src, "")
	trans := map[string]bool{}
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#define") {
			continue
		}
		for _, m := range transRE.FindAllStringSubmatch(line, -1) {
			trans[m[1]+"→"+m[2]] = true
		}
	}
	return trans
}
