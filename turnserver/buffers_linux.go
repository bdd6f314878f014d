package turnserver

import "golang.org/x/sys/unix"

// setBuffers asks for size bytes of receive and send buffer. The FORCE
// variants ignore net.core.rmem_max/wmem_max but need CAP_NET_ADMIN; without
// it the plain options are capped by those sysctls, silently.
func setBuffers(fd, size int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, size)
	}
}
