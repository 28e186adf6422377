package supervise

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// notifySocket is the NOTIFY_SOCKET of one spawn: a unix datagram socket in the abstract
// namespace (no file to clean up, reachable by a child that switched user), read by one
// goroutine that hands each message of the child's process group to the process goroutine.
// Messages from other processes are dropped: the kernel's SO_PASSCRED credentials name the
// sender.
type notifySocket struct {
	conn *net.UnixConn
	addr string        // the NOTIFY_SOCKET value ("@supervisord-lite/...")
	done chan struct{} // closed by close: the reader stops handing over
}

// notifyMsg is one sd_notify datagram, as far as the engine reads it.
type notifyMsg struct {
	ready     bool   // READY=1
	stopping  bool   // STOPPING=1
	watchdog  bool   // WATCHDOG=1
	status    string // STATUS=...
	hasStatus bool
}

// parseNotify reads newline-separated KEY=VALUE assignments (sd_notify(3)); unknown keys
// (MAINPID, ERRNO, RELOADING, ...) are ignored.
func parseNotify(b []byte) notifyMsg {
	var m notifyMsg
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "READY":
			m.ready = v == "1"
		case "STOPPING":
			m.stopping = v == "1"
		case "WATCHDOG":
			m.watchdog = v == "1"
		case "STATUS":
			m.status, m.hasStatus = v, true
		}
	}
	return m
}

// openNotify creates a socket with a random abstract name.
func openNotify() (*notifySocket, error) {
	var r [12]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("@supervisord-lite/%d/%s", os.Getpid(), hex.EncodeToString(r[:]))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET %s: %w", addr, err)
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
		})
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("NOTIFY_SOCKET %s: SO_PASSCRED: %w", addr, err)
	}
	return &notifySocket{conn: conn, addr: addr, done: make(chan struct{})}, nil
}

// read hands every message sent by a process that child accepts to deliver, until close.
func (n *notifySocket) read(child Child, deliver func(notifyMsg) bool) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
	for {
		nb, noob, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return // closed
		}
		pid, ok := senderPid(oob[:noob])
		if !ok || !sentBy(child, pid) {
			continue
		}
		if !deliver(parseNotify(buf[:nb])) {
			return
		}
	}
}

func (n *notifySocket) close() {
	close(n.done)
	n.conn.Close()
}

// senderPid returns the pid of the SCM_CREDENTIALS of a message.
func senderPid(oob []byte) (int, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for i := range msgs {
		if cred, err := syscall.ParseUnixCredentials(&msgs[i]); err == nil {
			return int(cred.Pid), true
		}
	}
	return 0, false
}

// notifySender is a Child that decides itself which senders speak for it (test fakes).
type notifySender interface {
	sentBy(pid int) bool
}

// sentBy reports whether pid is the child or in its process group (gunicorn's master sends
// READY=1 itself; a worker may send WATCHDOG=1).
func sentBy(child Child, pid int) bool {
	if ns, ok := child.(notifySender); ok {
		return ns.sentBy(pid)
	}
	if pid == child.Pid() {
		return true
	}
	pgid, err := syscall.Getpgid(pid)
	return err == nil && pgid == child.Pid()
}
