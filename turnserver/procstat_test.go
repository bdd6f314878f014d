package turnserver

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procSampler follows processes during a benchmark run: the UDP datagrams
// their sockets dropped because the receive buffer was full, and the CPU
// time they used. Sockets close when a run ends and take their counters
// with them, so it samples while the run goes on.
type procSampler struct {
	stop chan struct{}
	done sync.WaitGroup

	mu     sync.Mutex
	drops  map[int]map[uint64]int // pid → socket inode → drops
	cpu0   map[int]time.Duration
	cpuMax map[int]time.Duration
}

// sampleProcs samples pids every interval until Stop.
func sampleProcs(interval time.Duration, pids ...int) *procSampler {
	s := &procSampler{
		stop:   make(chan struct{}),
		drops:  map[int]map[uint64]int{},
		cpu0:   map[int]time.Duration{},
		cpuMax: map[int]time.Duration{},
	}
	for _, pid := range pids {
		s.drops[pid] = map[uint64]int{}
		if c, err := procCPU(pid); err == nil {
			s.cpu0[pid], s.cpuMax[pid] = c, c
		}
	}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop takes a last sample and returns, per pid, the socket drops and CPU time.
func (s *procSampler) Stop() (drops map[int]int, cpu map[int]time.Duration) {
	close(s.stop)
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	drops, cpu = map[int]int{}, map[int]time.Duration{}
	for pid, socks := range s.drops {
		for _, d := range socks {
			drops[pid] += d
		}
		cpu[pid] = s.cpuMax[pid] - s.cpu0[pid]
	}
	return drops, cpu
}

func (s *procSampler) sample() {
	perSocket := udpDrops()
	s.mu.Lock()
	defer s.mu.Unlock()
	for pid, socks := range s.drops {
		for _, inode := range socketInodes(pid) {
			if d, ok := perSocket[inode]; ok && d > socks[inode] {
				socks[inode] = d
			}
		}
		if c, err := procCPU(pid); err == nil && c > s.cpuMax[pid] {
			s.cpuMax[pid] = c
		}
	}
}

// udpDrops reads the drops column of /proc/net/udp and udp6 by socket inode.
func udpDrops() map[uint64]int {
	drops := map[uint64]int{}
	for _, name := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 13 {
				continue
			}
			inode, err1 := strconv.ParseUint(fields[9], 10, 64)
			d, err2 := strconv.Atoi(fields[len(fields)-1])
			if err1 == nil && err2 == nil {
				drops[inode] = d
			}
		}
		f.Close()
	}
	return drops
}

// socketInodes lists the inodes of pid's open sockets.
func socketInodes(pid int) []uint64 {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var inodes []uint64
	for _, e := range entries {
		link, err := os.Readlink(dir + "/" + e.Name())
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSuffix(link[len("socket:["):], "]"), 10, 64); err == nil {
			inodes = append(inodes, n)
		}
	}
	return inodes
}

// procCPU returns pid's user+system time from /proc/<pid>/stat, assuming
// the usual 100 clock ticks per second.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(rest) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(rest[11], 10, 64)
	stime, err2 := strconv.ParseInt(rest[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
