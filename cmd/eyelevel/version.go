package main

import (
	"context"
	"fmt"
	"io"

	"eyelevel/buildinfo"
)

func init() { commands["version"] = versionCommand }

// versionCommand prints which eyelevel this is: `eyelevel version`.
func versionCommand(_ context.Context, args []string, _ func(string) string, _ io.Reader, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("eyelevel version takes no arguments")
	}
	bi := buildinfo.Get()
	commit := bi.Commit
	if bi.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(stdout, "eyelevel %s\ncommit %s\n%s\n", bi.Version, commit, bi.GoVersion)
	return nil
}
