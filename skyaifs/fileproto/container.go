package fileproto

import (
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
)

// ContainerCred asks the kernel, through the Container capability ctr, which machine
// ids the container's root (inside uid and gid 0, the ids of the tasks its holder
// starts) has, and returns them as the credential the container's namespace acts as
// (fs.Dir.As, view.Build). The kernel's mapping is the one authority on who a
// container's tasks are outside it; the service never takes a client's word for it.
//
// The file service tells clients apart by badge, one per container, not per task, so
// every task of a container acts as the container's root mapped. A container that
// maps no root (no uid or gid mapping) is refused: its files would have no owner.
func ContainerCred(e *user.Env, ctr abi.CPtr) (skyfs.Cred, error) {
	uid, uok, err := e.ContainerMapID(ctr, abi.IDUser, 0)
	if err != nil {
		return skyfs.Cred{}, fmt.Errorf("fileproto: container uid map: %w", err)
	}
	gid, gok, err := e.ContainerMapID(ctr, abi.IDGroup, 0)
	if err != nil {
		return skyfs.Cred{}, fmt.Errorf("fileproto: container gid map: %w", err)
	}
	if !uok || !gok {
		return skyfs.Cred{}, fmt.Errorf("fileproto: the container maps no root user or group to the machine")
	}
	return skyfs.Cred{UID: uid, GID: gid}, nil
}
