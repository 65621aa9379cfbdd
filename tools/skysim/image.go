package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/container/runtime"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/pqc"
)

// Signed container images in the simulation: --image FILE (with --pub KEY) verifies
// the image and every package it pins (container/image, against the --pub keys and
// the packages in --store, default the image's folder) and instantiates it
// (container/runtime) before the script runs: a container with the image's limits,
// its entry modules started inside as the simulation's programs their manifests name
// (hello, spin, memhog, pingpong), with init's console. An image that fails any check is refused, skysim
// exits with status 1, and no container is made.

// startImages verifies and starts each image on m, whose loader is loader.
func startImages(m *usersim.Machine, loader kernel.Loader, images, pubs []string, store string) error {
	if len(images) == 0 {
		return nil
	}
	if len(pubs) == 0 {
		return fmt.Errorf("--image needs at least one --pub key to verify it with")
	}
	trust := map[pqc.KeyID]*pqc.PublicKey{}
	for _, p := range pubs {
		k, err := pqc.LoadPublicKey(p)
		if err != nil {
			return err
		}
		trust[k.ID()] = k
	}
	for _, path := range images {
		dir := store
		if dir == "" {
			dir = filepath.Dir(path)
		}
		s, err := image.OpenDir(dir)
		if err != nil {
			return err
		}
		signed, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		console := kernel.GrantedCap{Slot: m.Tasks()[0].CSpace().At(int(abi.InitSlotConsole)), Rights: abi.RightWrite}
		c, tasks, err := runtime.Run(m.Kernel, m.RootContainer(), signed, trust, s, loader, console)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		names := make([]string, len(tasks))
		for i, t := range tasks {
			names[i] = t.Name()
		}
		fmt.Printf("skysim: %s verified; container %d (%s) started: %s\n", path, c.ContainerID(), c.Name(), strings.Join(names, ", "))
	}
	return nil
}
