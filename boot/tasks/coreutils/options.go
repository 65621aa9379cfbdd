package main

import (
	"fmt"
	"strings"
)

// option is an option a command accepts: its letter (0 for none), its long name (""
// for none) and whether it takes an argument. key is how parsed results name it.
type option struct {
	short byte
	long  string
	arg   bool
}

func (o option) key() string {
	if o.long != "" {
		return o.long
	}
	return string(o.short)
}

// given is one option as it appeared, in order (ls's -l then -1: the last wins).
type given struct {
	key, value string
}

// parsed is a command line split into options and operands.
type parsed struct {
	opts     []given
	operands []string
	help     bool
	version  bool
}

func (p *parsed) has(key string) bool {
	for _, o := range p.opts {
		if o.key == key {
			return true
		}
	}
	return false
}

// last returns the value of the last occurrence of key.
func (p *parsed) last(key string) (string, bool) {
	for i := len(p.opts) - 1; i >= 0; i-- {
		if p.opts[i].key == key {
			return p.opts[i].value, true
		}
	}
	return "", false
}

// parseArgs splits args the way GNU's getopt_long does: short options cluster ("-la"),
// a short option's argument follows it or is the next argument ("-m755", "-m 755"), a
// long option may be shortened to any unambiguous prefix and takes its argument after
// "=" or as the next argument, "--" ends the options, and "-" is an operand. Options
// and operands may mix unless inOrder is set (env: the first operand starts the
// command, whose options are its own). --help and --version are every command's. The
// error is the message GNU prints, without the command's name.
func parseArgs(args []string, opts []option, inOrder bool) (*parsed, error) {
	all := append([]option{{long: "help"}, {long: "version"}}, opts...)
	p := &parsed{}
	add := func(o option, v string) {
		switch o.long {
		case "help":
			p.help = true
		case "version":
			p.version = true
		default:
			p.opts = append(p.opts, given{o.key(), v})
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			p.operands = append(p.operands, args[i+1:]...)
			return p, nil
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			o, err := findLong(all, name)
			if err != nil {
				return nil, err
			}
			switch {
			case o.arg && !hasValue:
				if i+1 == len(args) {
					return nil, fmt.Errorf("option '--%s' requires an argument", o.long)
				}
				i++
				value = args[i]
			case !o.arg && hasValue:
				return nil, fmt.Errorf("option '--%s' doesn't allow an argument", o.long)
			}
			add(o, value)
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				o, ok := findShort(opts, a[j])
				if !ok {
					return nil, fmt.Errorf("invalid option -- '%c'", a[j])
				}
				if !o.arg {
					add(o, "")
					continue
				}
				value := a[j+1:]
				if value == "" {
					if i+1 == len(args) {
						return nil, fmt.Errorf("option requires an argument -- '%c'", a[j])
					}
					i++
					value = args[i]
				}
				add(o, value)
				break
			}
		default:
			if inOrder {
				p.operands = append(p.operands, args[i:]...)
				return p, nil
			}
			p.operands = append(p.operands, a)
		}
	}
	return p, nil
}

// findLong finds the long option name names exactly or by an unambiguous prefix.
func findLong(opts []option, name string) (option, error) {
	var matches []option
	for _, o := range opts {
		if o.long == "" {
			continue
		}
		if o.long == name {
			return o, nil
		}
		if name != "" && strings.HasPrefix(o.long, name) {
			matches = append(matches, o)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return option{}, fmt.Errorf("unrecognized option '--%s'", name)
	}
	var list []string
	for _, m := range matches {
		list = append(list, "'--"+m.long+"'")
	}
	return option{}, fmt.Errorf("option '--%s' is ambiguous; possibilities: %s", name, strings.Join(list, " "))
}

func findShort(opts []option, c byte) (option, bool) {
	for _, o := range opts {
		if o.short == c && c != 0 {
			return o, true
		}
	}
	return option{}, false
}

// start parses e's arguments for c and handles --help, --version and bad usage: done
// reports that the command has finished with status.
func (e *env) start(c *command, opts []option, inOrder bool) (p *parsed, status int, done bool) {
	p, err := parseArgs(e.args, opts, inOrder)
	if err != nil {
		return nil, e.usageError(c, "%v", err), true
	}
	if p.help {
		e.printHelp(c)
		return p, 0, true
	}
	if p.version {
		fmt.Fprintln(e.stdout, e.name, version)
		return p, 0, true
	}
	return p, 0, false
}
