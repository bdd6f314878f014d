package turnserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketBuffer is the receive and send buffer asked for on every UDP socket.
// Kernel defaults (~200 KiB) overflow within milliseconds when a burst of
// video packets meets a busy CPU; 4 MiB holds about 3 s of one relayed 720p
// call. Buffers are limits, not allocations: idle sockets cost nothing.
const socketBuffer = 4 << 20

// socketControl prepares UDP sockets before bind: SO_REUSEPORT so several
// sockets share the listening port (the kernel spreads clients over them by
// address hash), and large buffers.
func socketControl(reusePort bool) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var opErr error
		err := c.Control(func(fd uintptr) {
			if reusePort {
				if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
					opErr = fmt.Errorf("SO_REUSEPORT: %w", err)
					return
				}
			}
			setBuffers(int(fd), socketBuffer)
		})
		return errors.Join(err, opErr)
	}
}

// socketBuffers reports the buffer sizes the kernel granted (it reports
// double the asked size, counting its bookkeeping).
func socketBuffers(c *net.UDPConn) (rcv, snd int) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0
	}
	_ = raw.Control(func(fd uintptr) {
		rcv, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		snd, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
	})
	return rcv, snd
}

// listenUDP opens n sockets on addr sharing one port. When addr's port is 0
// the first socket picks it and the others join it.
func listenUDP(ctx context.Context, addr string, n int) ([]*net.UDPConn, error) {
	lc := net.ListenConfig{Control: socketControl(true)}
	conns := make([]*net.UDPConn, 0, n)
	fail := func(err error) ([]*net.UDPConn, error) {
		for _, c := range conns {
			c.Close()
		}
		return nil, err
	}
	for i := range n {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return fail(fmt.Errorf("listen udp %s (socket %d of %d): %w", addr, i+1, n, err))
		}
		conns = append(conns, pc.(*net.UDPConn))
		addr = pc.LocalAddr().String()
	}
	return conns, nil
}
