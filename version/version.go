// Package version says which build of shopset is running: the module version, the
// commit and the commit's date, as the Go toolchain stamps them into every binary built
// from a Git checkout, or as a release build sets them:
//
//	go build -ldflags "-X github.com/shopset/shopset/version.Version=v0.4.0" ./cmd/shopctl
//
// shopctl version prints it, the generator exports it as shopset_build_info and sends it
// as the User-Agent of its Git requests.
package version

import (
	"runtime"
	"runtime/debug"
)

// Version, Commit and Date override what the binary's build information says, for
// release builds (-ldflags -X); empty means read it from the build information.
var (
	Version string
	Commit  string
	Date    string
)

// Info is a build's identity.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
}

// Get returns this binary's identity; what is not known reads "unknown".
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	for _, f := range []*string{&info.Version, &info.Commit, &info.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	return info
}

// UserAgent is how shopset names itself to servers: shopset/<version>.
func UserAgent() string { return "shopset/" + Get().Version }
