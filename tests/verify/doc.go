// Package verify holds whole-repository checks of the seeds' verification targets that
// no single package can make (docs/VERIFICATION.md): TestProcessCreationPaths
// enumerates, from the source, every path by which a process can be created from a
// program image, and every place a verified package value can be made.
package verify
