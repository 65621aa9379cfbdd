package runtime

import (
	"fmt"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/pqc"
)

// Instantiate makes the container a verified image describes, nested in parent (as
// Create), and starts its entry modules inside it, in the descriptor's order, each
// as the program its verified manifest names (argv[0] = the manifest's entry), with
// loader: the platform's program store (usersim.Loader in the simulation). Each task
// runs in the container's budget, pid namespace and priority ceiling, and gets caps
// (for example the console) copied to its slots abi.InitFirstFree, …. If a module
// cannot be started, the container is destroyed again and the error returned: on an
// error nothing is left.
//
// Only a *image.Verified reaches Instantiate, so an image whose signature, template
// or packages did not verify cannot become a container.
func Instantiate(k *kernel.Kernel, parent *kernel.Container, v *image.Verified, loader kernel.Loader,
	caps ...kernel.GrantedCap) (*kernel.Container, []*kernel.Task, error) {
	entry := v.Entry()
	for i, m := range entry {
		if m == nil { // image.Verify guarantees every entry module was verified
			panic(fmt.Sprintf("runtime: verified image %s has no verified package for entry %d", v.Name(), i))
		}
	}
	c, err := Create(k, parent, v.Descriptor())
	if err != nil {
		return nil, nil, err
	}
	tasks := make([]*kernel.Task, 0, len(entry))
	for _, m := range entry {
		prog := m.Manifest().Entry
		t, _, err := loader.Load(k, c.Budget(), []string{prog}, kernel.TaskSpec{Name: prog, Container: c, Caps: caps})
		if err != nil {
			_ = k.DestroyContainer(c)
			return nil, nil, fmt.Errorf("image %s: starting module %s (%s): %w", v.Name(), m.Manifest().Name, prog, err)
		}
		tasks = append(tasks, t)
	}
	return c, tasks, nil
}

// Run verifies a signed image (image.Verify: its signature, template and every
// package it pins, against trust and the packages in store) and only then
// instantiates it (Instantiate, with caps). An image or package that fails any check
// is refused before any container exists.
func Run(k *kernel.Kernel, parent *kernel.Container, signed []byte, trust map[pqc.KeyID]*pqc.PublicKey, store image.Store,
	loader kernel.Loader, caps ...kernel.GrantedCap) (*kernel.Container, []*kernel.Task, error) {
	v, err := image.Verify(signed, trust, store, compress.DefaultLimits)
	if err != nil {
		return nil, nil, err
	}
	return Instantiate(k, parent, v, loader, caps...)
}
