//go:build unix && !linux

package turnserver

import "golang.org/x/sys/unix"

// setBuffers asks for size bytes of receive and send buffer; the kernel may
// grant less.
func setBuffers(fd, size int) {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, size)
}
