// Command hello is a demonstration program in the boot bundle: run it from the shell
// (run hello [flags] [WORDS]) to see a standard Go program run as an isolated task.
// It prints its task id, parent and arguments; its flags make it read a console line,
// sleep (so that ps and kill have something to show), or crash (a nil dereference
// becomes SIGSEGV, which Go reports as a panic with a trace).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	read := flag.Bool("read", false, "read a line from the console and echo it")
	sleep := flag.Duration("sleep", 0, "sleep this long before exiting")
	crash := flag.Bool("crash", false, "dereference nil (the task ends with a Go panic trace)")
	status := flag.Int("exit", 0, "exit with this status")
	flag.Parse()
	fmt.Printf("hello from task %d (parent %d), %s on %s/%s, %d CPU(s): %s\n", os.Getpid(), os.Getppid(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), strings.Join(flag.Args(), " "))
	if *read {
		fmt.Print("hello: type a line: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Printf("hello: read %q (%v)\n", strings.TrimRight(line, "\r\n"), err)
	}
	if *sleep > 0 {
		time.Sleep(*sleep)
	}
	if *crash {
		var p *struct{ x int }
		p.x = 1
	}
	os.Exit(*status)
}
