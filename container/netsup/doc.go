// Package netsup is the NIC supervisor: the virtual switch that gives containers
// their network namespace. A container has a network only if its descriptor (or ctr
// run --net NAME) asks for a vNIC; by default it holds nothing that reaches the
// supervisor, so it has no network at all.
//
// # The vNIC is a capability
//
// The supervisor is a user task serving one endpoint. The controller (ctr, holding
// a capability badged ControlBadge) attaches a vNIC to a container with LabelAdd,
// handing over a Write-only copy of the container's capability (to charge its I/O);
// the supervisor mints a capability to its endpoint badged for that vNIC, Write
// only, and returns it. ctr grants it to the programs it starts in the container.
// The badge is the vNIC's identity: the kernel stamps it on every call, so a
// container cannot speak as another vNIC or as the controller, cannot receive on the
// endpoint, and (no Grant) cannot send capabilities to the supervisor. Removing the
// vNIC revokes every copy; destroying the container makes the supervisor's next
// charge fail, which removes it too.
//
// # Frames
//
// A frame is an Ethernet II frame carrying IPv4 or IPv6 (ParseFrame; no ARP, VLAN or
// other EtherTypes: the switch forwards by IP address, so no address resolution
// crosses it and a stack on a vNIC sends to the broadcast MAC or any MAC). It travels
// in the message words of one call (LabelSend; LabelRecv returns one), so the largest
// is MaxFrame = 480 bytes and the MTU 466. Rejected alternative for now: a shared
// frame buffer with a notification per direction, as skyaifs/blockproto shares its
// block buffer, which would allow 1500-byte frames and batches; it costs a mapping
// per vNIC and a window per client in the supervisor, and the demo traffic and the
// policy checks do not need it. It is the way to a full MTU and an uplink.
//
// A receiver that finds nothing queued is parked: the supervisor keeps the Reply
// object its call is bound to and answers it when a frame comes (Server.deliver),
// and a send may then receive in the same call (LabelSend with MR1 1), so a request
// and its answer cost one supervisor call on each side. Tried first and measured
// slower (docs/PERFORMANCE.md): answering "empty" and having the receiver wait on its
// notification, four calls and a wait per frame.
//
// # Addresses and policy
//
// Each vNIC gets host number n (the lowest free, from 2) in Subnet4 and Subnet6
// (10.88.n/256.n%256, fd88::n, MAC 02:53:4b:00:n/256:n%256), told to the container
// at LabelAttach. The switch (Switch.Send) drops, and counts on the sending vNIC by
// reason: frames that do not parse; frames whose source MAC or IP is not the
// sender's own (anti-spoofing); frames to destinations outside the sender's Allow
// prefixes; frames to an address no vNIC has (no uplink yet); frames from sources
// outside the receiver's Allow prefixes; frames that find the receiver's queue
// (QueueLen) full. The ingress check makes a vNIC's Allow list the set of peers it
// exchanges frames with in both directions: a container whose descriptor allows
// nothing is unreachable as well as reaching nothing, and a server accepts only the
// clients it lists (its replies need them listed anyway).
//
// # I/O rates
//
// The supervisor charges every frame it takes to the sending container
// (ContainerChargeIO: its length in bytes and one operation) and queues the frame
// receivable only after the delay the kernel answers: over-limit traffic is
// delayed, not dropped. To keep a sender over its rate from filling its receivers'
// queues with frames of the future, at most MaxHeld of a vNIC's frames may be held at
// once; past that LabelSend answers Busy with the time to wait, uncharged, and the
// client library waits and sends again.
package netsup
