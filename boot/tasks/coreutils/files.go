package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var cmdCat = &command{usage: "NAME [OPTION]... [FILE]...\n", failure: 1,
	help: "Concatenate FILE(s) to standard output. With no FILE, or when FILE is -, read\n" +
		"standard input.\n\n" +
		"  -b, --number-nonblank    number nonempty output lines, overrides -n\n" +
		"  -E, --show-ends          display $ at end of each line\n" +
		"  -n, --number             number all output lines\n" +
		"  -s, --squeeze-blank      suppress repeated empty output lines\n" +
		"  -T, --show-tabs          display TAB characters as ^I\n" +
		"  -u                       (ignored)\n"}

func init() { cmdCat.run = cat }

// catOptions are cat's line options; none set copies bytes unchanged.
type catOptions struct {
	number, nonblank, ends, squeeze, tabs bool
	line                                  int  // the last line number printed
	blank                                 bool // the last line was empty (for -s)
}

func cat(e *env) int {
	p, status, done := e.start(cmdCat, []option{{short: 'b', long: "number-nonblank"}, {short: 'E', long: "show-ends"},
		{short: 'n', long: "number"}, {short: 's', long: "squeeze-blank"}, {short: 'T', long: "show-tabs"}, {short: 'u'}}, false)
	if done {
		return status
	}
	o := &catOptions{number: p.has("number"), nonblank: p.has("number-nonblank"), ends: p.has("show-ends"),
		squeeze: p.has("squeeze-blank"), tabs: p.has("show-tabs")}
	files := p.operands
	if len(files) == 0 {
		files = []string{"-"}
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	for _, name := range files {
		if err := o.catFile(e, out, name); err != nil {
			var w *writeError
			if errors.As(err, &w) {
				e.errorf("write error: %s", errText(w.err))
				return 1
			}
			e.errorf("%s: %s", name, errText(err))
			status = 1
		}
	}
	if err := out.Flush(); err != nil {
		e.errorf("write error: %s", errText(err))
		return 1
	}
	return status
}

// catFile copies the file name ("-": standard input) to out; each file is closed
// before the next opens, so any number of operands fits the descriptor limit.
func (o *catOptions) catFile(e *env, out *bufio.Writer, name string) error {
	if name == "-" {
		return o.copy(out, e.stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return syscall.EISDIR
	}
	return o.copy(out, f)
}

// writeError marks an error of the output, which ends cat, from one of an input.
type writeError struct{ err error }

func (w *writeError) Error() string { return w.err.Error() }

func (o *catOptions) copy(out *bufio.Writer, r io.Reader) error {
	if !o.number && !o.nonblank && !o.ends && !o.squeeze && !o.tabs {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := out.Write(buf[:n]); werr != nil {
					return &writeError{werr}
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	in := bufio.NewReader(r)
	for {
		line, err := in.ReadString('\n')
		if line != "" {
			o.writeLine(out, line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (o *catOptions) writeLine(out *bufio.Writer, line string) {
	body, nl := strings.CutSuffix(line, "\n")
	empty := body == "" && nl
	if o.squeeze && empty && o.blank {
		return
	}
	o.blank = empty
	if o.nonblank && !empty || o.number && !o.nonblank {
		o.line++
		fmt.Fprintf(out, "%6d\t", o.line)
	}
	if o.tabs {
		body = strings.ReplaceAll(body, "\t", "^I")
	}
	out.WriteString(body)
	if nl {
		if o.ends {
			out.WriteByte('$')
		}
		out.WriteByte('\n')
	}
}

var cmdLs = &command{usage: "NAME [OPTION]... [FILE]...\n", failure: 2,
	help: "List information about the FILEs (the current directory by default), sorted by\n" +
		"name (byte order), one a line.\n\n" +
		"  -a, --all             do not ignore entries starting with .\n" +
		"  -A, --almost-all      do not list implied . and ..\n" +
		"  -d, --directory       list directories themselves, not their contents\n" +
		"  -F, --classify        append indicator (one of */=>@|) to entries\n" +
		"  -i, --inode           print the index number of each file\n" +
		"  -l                    use a long listing format\n" +
		"  -n, --numeric-uid-gid like -l, but list numeric user and group IDs\n" +
		"  -R, --recursive       list subdirectories recursively\n" +
		"  -1                    list one file per line (always so here: no columns)\n" +
		"\nExit status: 0 if OK, 1 if minor problems (e.g., cannot access subdirectory),\n" +
		"2 if serious trouble (e.g., cannot access command-line argument).\n"}

func init() { cmdLs.run = ls }

// lister holds one ls run's options and state.
type lister struct {
	e                                                 *env
	out                                               *bufio.Writer
	all, almost, dirs, classify, inode, long, numeric bool
	recursive                                         bool
	status                                            int
	now                                               time.Time
	names                                             map[string]string // "u1000", "g0" → a name
}

// entry is a file to show: its name as printed and its information.
type entry struct {
	name string
	path string // where it is, for readlink
	info fs.FileInfo
}

func ls(e *env) int {
	p, status, done := e.start(cmdLs, []option{{short: 'a', long: "all"}, {short: 'A', long: "almost-all"},
		{short: 'd', long: "directory"}, {short: 'F', long: "classify"}, {short: 'i', long: "inode"},
		{short: 'l'}, {short: 'n', long: "numeric-uid-gid"}, {short: 'R', long: "recursive"}, {short: '1'}}, false)
	if done {
		return status
	}
	l := &lister{e: e, out: bufio.NewWriter(e.stdout), all: p.has("all"), almost: p.has("almost-all"),
		dirs: p.has("directory"), classify: p.has("classify"), inode: p.has("inode"),
		numeric: p.has("numeric-uid-gid"), recursive: p.has("recursive"), now: time.Now(), names: map[string]string{}}
	l.long = l.numeric || p.has("l")
	args := p.operands
	if len(args) == 0 {
		args = []string{"."}
	}
	var files, dirs []entry
	for _, a := range args {
		fi, err := os.Lstat(a)
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 && !l.long && !l.dirs && !l.classify {
			if target, err := os.Stat(a); err == nil {
				fi = target // a link named on the command line is followed, as GNU's ls does
			}
		}
		if err != nil {
			l.e.errorf("cannot access '%s': %s", a, errText(err))
			l.status = 2
			continue
		}
		if fi.IsDir() && !l.dirs {
			dirs = append(dirs, entry{a, a, fi})
		} else {
			files = append(files, entry{a, a, fi})
		}
	}
	sortEntries(files)
	sortEntries(dirs)
	l.show(files)
	for i, d := range dirs {
		if len(files) > 0 || i > 0 {
			l.out.WriteString("\n")
		}
		l.listDir(d.path, len(args) > 1 || l.recursive, true)
	}
	if err := l.out.Flush(); err != nil {
		e.errorf("write error: %s", errText(err))
		return 2
	}
	return l.status
}

func sortEntries(es []entry) { sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name }) }

// listDir lists directory dir, with a "dir:" header if header; an error is serious
// (status 2) for a directory named on the command line and minor (1) below one.
func (l *lister) listDir(dir string, header, operand bool) {
	if header {
		fmt.Fprintf(l.out, "%s:\n", dir)
	}
	f, err := os.Open(dir)
	var names []string
	if err == nil {
		names, err = f.Readdirnames(-1)
		f.Close()
	}
	if err != nil {
		l.e.errorf("cannot open directory '%s': %s", dir, errText(err))
		l.status = max(l.status, map[bool]int{true: 2, false: 1}[operand])
		return
	}
	if l.all {
		names = append(names, ".", "..")
	}
	var es []entry
	for _, n := range names {
		if strings.HasPrefix(n, ".") && !l.all && !l.almost {
			continue
		}
		p := filepath.Join(dir, n)
		if n == "." || n == ".." {
			p = dir + "/" + n
		}
		fi, err := os.Lstat(p)
		if err != nil {
			l.e.errorf("cannot access '%s': %s", p, errText(err))
			l.status = max(l.status, 1)
			continue
		}
		es = append(es, entry{n, p, fi})
	}
	sortEntries(es)
	if l.long {
		var blocks int64
		for _, en := range es {
			if st, ok := en.info.Sys().(*syscall.Stat_t); ok {
				blocks += st.Blocks
			}
		}
		fmt.Fprintf(l.out, "total %d\n", (blocks+1)/2) // 512-byte blocks → KiB, as GNU rounds
	}
	l.show(es)
	if !l.recursive {
		return
	}
	for _, en := range es {
		if en.info.IsDir() && en.name != "." && en.name != ".." {
			l.out.WriteString("\n")
			l.listDir(en.path, true, false)
		}
	}
}

// show prints entries, one a line, in the long format with -l.
func (l *lister) show(es []entry) {
	if !l.long {
		for _, en := range es {
			if l.inode {
				fmt.Fprintf(l.out, "%d ", inodeOf(en.info))
			}
			l.out.WriteString(en.name + l.indicator(en.info) + "\n")
		}
		return
	}
	rows := make([][]string, len(es))
	width := make([]int, 6)
	for i, en := range es {
		st, _ := en.info.Sys().(*syscall.Stat_t)
		var nlink uint64 = 1
		var uid, gid uint32
		if st != nil {
			nlink, uid, gid = uint64(st.Nlink), st.Uid, st.Gid
		}
		size := strconv.FormatInt(en.info.Size(), 10)
		if st != nil && en.info.Mode()&fs.ModeDevice != 0 {
			size = fmt.Sprintf("%d, %d", (st.Rdev>>8)&0xfff, st.Rdev&0xff|(st.Rdev>>12)&^0xff)
		}
		rows[i] = []string{strconv.FormatUint(inodeOf(en.info), 10), modeString(en.info.Mode()),
			strconv.FormatUint(nlink, 10), l.owner('u', uid), l.owner('g', gid), size}
		for c, v := range rows[i] {
			width[c] = max(width[c], len(v))
		}
	}
	for i, en := range es {
		r := rows[i]
		if l.inode {
			fmt.Fprintf(l.out, "%*s ", width[0], r[0])
		}
		fmt.Fprintf(l.out, "%s %*s %-*s %-*s %*s %s %s", r[1], width[2], r[2], width[3], r[3], width[4], r[4],
			width[5], r[5], l.timeString(en.info.ModTime()), en.name)
		if en.info.Mode()&fs.ModeSymlink != 0 {
			if target, err := os.Readlink(en.path); err == nil {
				fmt.Fprintf(l.out, " -> %s", target)
			}
		} else {
			l.out.WriteString(l.indicator(en.info))
		}
		l.out.WriteString("\n")
	}
}

func inodeOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// indicator is -F's mark for fi's type.
func (l *lister) indicator(fi fs.FileInfo) string {
	if !l.classify {
		return ""
	}
	m := fi.Mode()
	switch {
	case m.IsDir():
		return "/"
	case m&fs.ModeSymlink != 0:
		return "@"
	case m&fs.ModeNamedPipe != 0:
		return "|"
	case m&fs.ModeSocket != 0:
		return "="
	case m.IsRegular() && m&0o111 != 0:
		return "*"
	}
	return ""
}

// owner names a user ('u') or group ('g') id from /etc/passwd and /etc/group (os/user
// reads them), or gives the number with -n or when the id has no name.
func (l *lister) owner(kind byte, id uint32) string {
	n := strconv.FormatUint(uint64(id), 10)
	if l.numeric {
		return n
	}
	key := string(kind) + n
	if name, ok := l.names[key]; ok {
		return name
	}
	name := n
	if kind == 'u' {
		if u, err := user.LookupId(n); err == nil {
			name = u.Username
		}
	} else if g, err := user.LookupGroupId(n); err == nil {
		name = g.Name
	}
	l.names[key] = name
	return name
}

// timeString is -l's time: month, day and time within six months of now, the year
// otherwise, as GNU's ls shows it.
func (l *lister) timeString(t time.Time) string {
	const halfYear = 365 * 24 * time.Hour / 2
	if d := l.now.Sub(t); d >= 0 && d < halfYear || d < 0 && -d < time.Hour {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}

// modeString is -l's mode column: "drwxr-xr-x" with s/S and t/T for the set-id and
// sticky bits.
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	special := func(i int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[i] == 'x' {
			b[i] = lower
		} else {
			b[i] = upper
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}

var cmdMkdir = &command{usage: "NAME [OPTION]... DIRECTORY...\n", failure: 1,
	help: "Create the DIRECTORY(ies), if they do not already exist.\n\n" +
		"  -m, --mode=MODE   set file mode (octal, as in chmod 755), not a=rwx - umask\n" +
		"  -p, --parents     no error if existing, make parent directories as needed\n" +
		"  -v, --verbose     print a message for each created directory\n"}

func init() { cmdMkdir.run = mkdir }

func mkdir(e *env) int {
	p, status, done := e.start(cmdMkdir, []option{{short: 'm', long: "mode", arg: true},
		{short: 'p', long: "parents"}, {short: 'v', long: "verbose"}}, false)
	if done {
		return status
	}
	if len(p.operands) == 0 {
		return e.usageError(cmdMkdir, "missing operand")
	}
	perm, explicit := fs.FileMode(0o777), false
	if m, ok := p.last("mode"); ok {
		v, err := strconv.ParseUint(m, 8, 32)
		if err != nil || v > 0o7777 {
			e.errorf("invalid mode '%s'", m)
			return 1
		}
		perm, explicit = fs.FileMode(v&0o777), true
		if v&0o1000 != 0 {
			perm |= fs.ModeSticky
		}
	}
	verbose := p.has("verbose")
	for _, dir := range p.operands {
		if p.has("parents") {
			status = max(status, e.mkdirParents(dir, perm, explicit, verbose))
			continue
		}
		if err := e.mkdirOne(dir, perm, explicit, verbose); err != nil {
			e.errorf("cannot create directory '%s': %s", dir, errText(err))
			status = 1
		}
	}
	return status
}

// mkdirOne makes dir; an explicit -m mode is set after, so the umask does not narrow it.
func (e *env) mkdirOne(dir string, perm fs.FileMode, explicit, verbose bool) error {
	if err := os.Mkdir(dir, perm); err != nil {
		return err
	}
	if explicit {
		if err := os.Chmod(dir, perm); err != nil {
			return err
		}
	}
	if verbose {
		fmt.Fprintf(e.stdout, "%s: created directory '%s'\n", e.name, dir)
	}
	return nil
}

// mkdirParents is mkdir -p: every missing directory on the way to dir, with the mode
// only on the last (the parents get u+wx, as GNU's do).
func (e *env) mkdirParents(dir string, perm fs.FileMode, explicit, verbose bool) int {
	var parts []string
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		parts = append(parts, p)
		if p == "/" || p == "." || filepath.Dir(p) == p {
			break
		}
	}
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if fi, err := os.Stat(p); err == nil {
			if !fi.IsDir() {
				e.errorf("cannot create directory '%s': Not a directory", dir)
				return 1
			}
			continue
		}
		mode, set := fs.FileMode(0o777), false
		if i == 0 {
			mode, set = perm, explicit
		}
		if err := e.mkdirOne(p, mode, set, verbose); err != nil && !errors.Is(err, fs.ErrExist) {
			e.errorf("cannot create directory '%s': %s", p, errText(err))
			return 1
		}
	}
	return 0
}

var cmdRm = &command{usage: "NAME [OPTION]... [FILE]...\n", failure: 1,
	help: "Remove (unlink) the FILE(s).\n\n" +
		"  -f, --force           ignore nonexistent files and arguments, never prompt\n" +
		"  -r, -R, --recursive   remove directories and their contents recursively\n" +
		"  -d, --dir             remove empty directories\n" +
		"  -v, --verbose         explain what is being done\n" +
		"\nIt refuses '/' with -r (--preserve-root, the only behaviour here), and '.' and '..'.\n" +
		"There is no -i: nothing here prompts.\n"}

func init() { cmdRm.run = rm }

func rm(e *env) int {
	p, status, done := e.start(cmdRm, []option{{short: 'f', long: "force"}, {short: 'r', long: "recursive"},
		{short: 'R'}, {short: 'd', long: "dir"}, {short: 'v', long: "verbose"}}, false)
	if done {
		return status
	}
	force := p.has("force")
	if len(p.operands) == 0 {
		if force {
			return 0
		}
		return e.usageError(cmdRm, "missing operand")
	}
	r := &remover{e: e, force: force, recursive: p.has("recursive") || p.has("R"), dirs: p.has("dir"), verbose: p.has("verbose")}
	for _, name := range p.operands {
		base := filepath.Base(strings.TrimRight(name, "/"))
		switch {
		case r.recursive && filepath.Clean(name) == "/":
			e.errorf("it is dangerous to operate recursively on '/'")
			e.errorf("use --no-preserve-root to override this failsafe")
			status = 1
		case base == "." || base == "..":
			e.errorf("refusing to remove '.' or '..' directory: skipping '%s'", name)
			status = 1
		default:
			if !r.remove(name) {
				status = 1
			}
		}
	}
	return status
}

// remover holds one rm run's options.
type remover struct {
	e                               *env
	force, recursive, dirs, verbose bool
}

// remove removes name (and, with -r, what is below it), reporting each failure;
// it returns whether everything went.
func (r *remover) remove(name string) bool {
	fi, err := os.Lstat(name)
	if err != nil {
		if r.force && errors.Is(err, fs.ErrNotExist) {
			return true
		}
		r.e.errorf("cannot remove '%s': %s", name, errText(err))
		return false
	}
	if !fi.IsDir() {
		return r.unlink(name, false)
	}
	if !r.recursive {
		if !r.dirs {
			r.e.errorf("cannot remove '%s': Is a directory", name)
			return false
		}
		return r.unlink(name, true)
	}
	f, err := os.Open(name)
	if err != nil {
		r.e.errorf("cannot remove '%s': %s", name, errText(err))
		return false
	}
	entries, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		r.e.errorf("cannot remove '%s': %s", name, errText(err))
		return false
	}
	sort.Strings(entries)
	ok := true
	for _, n := range entries {
		ok = r.remove(filepath.Join(name, n)) && ok
	}
	if !ok {
		return false // its contents stayed: GNU does not try the directory either
	}
	return r.unlink(name, true)
}

func (r *remover) unlink(name string, dir bool) bool {
	var err error
	if dir {
		err = syscall.Rmdir(name)
	} else {
		err = syscall.Unlink(name)
	}
	if err != nil {
		if r.force && errors.Is(err, fs.ErrNotExist) {
			return true
		}
		r.e.errorf("cannot remove '%s': %s", name, errText(err))
		return false
	}
	if r.verbose {
		what := "removed"
		if dir {
			what = "removed directory"
		}
		fmt.Fprintf(r.e.stdout, "%s '%s'\n", what, name)
	}
	return true
}
