// Package buildinfo says which eyelevel this is: the version and commit,
// for `eyelevel version`, the admin pages and the eyelevel_build_info
// metric.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// version and commit are set at link time by release builds:
//
//	go build -ldflags "-X eyelevel/buildinfo.version=1.2.0 -X eyelevel/buildinfo.commit=abc1234" ./cmd/eyelevel
//
// Without them, the module version and the VCS revision that the Go
// toolchain stamps into the binary are used.
var version, commit string

// Info is what the binary knows about its own build.
type Info struct {
	Version   string // "1.2.0", or "devel" for a build from a working tree
	Commit    string // the VCS revision (short), or "unknown"
	Modified  bool   // the working tree had uncommitted changes
	GoVersion string
}

var (
	once sync.Once
	info Info
)

// Get returns the build's information (read once).
func Get() Info {
	once.Do(func() {
		info = Info{Version: version, Commit: commit, GoVersion: "unknown"}
		bi, ok := debug.ReadBuildInfo()
		if ok {
			info.GoVersion = bi.GoVersion
			if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				info.Version = bi.Main.Version
			}
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					if info.Commit == "" {
						info.Commit = s.Value
					}
				case "vcs.modified":
					info.Modified = s.Value == "true"
				}
			}
		}
		if info.Version == "" {
			info.Version = "devel"
		}
		if len(info.Commit) > 12 {
			info.Commit = info.Commit[:12]
		}
		if info.Commit == "" {
			info.Commit = "unknown"
		}
	})
	return info
}
