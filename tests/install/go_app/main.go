// Command go_app is a module outside the hyperlight repository that uses the
// installed Go binding: it calls a guest function, and a guest function that
// calls back into a Go host function, and prints what came back.
//
//	go_app GUEST.elf
package main

import (
	"fmt"
	"os"
	"strings"

	"hyperlight.dev/hyperlight"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go_app GUEST.elf   (for example build/tests/guests/simpleguest.elf)")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "go_app:", err)
		os.Exit(1)
	}
}

func run(guest string) error {
	sb, err := hyperlight.NewSandbox(guest, nil)
	if err != nil {
		return fmt.Errorf("NewSandbox(%q): %w", guest, err)
	}
	defer sb.Close()
	if err := sb.Register("HostAdd", func(a, b int32) int32 { return a + b }); err != nil {
		return fmt.Errorf("Register: %w", err)
	}

	sum, err := sb.Call("Add", int32(40), int32(2))
	if err != nil {
		return fmt.Errorf("Add: %w", err)
	}
	viaHost, err := sb.Call("AddViaHost", int32(100), int32(23))
	if err != nil {
		return fmt.Errorf("AddViaHost: %w", err)
	}
	echo, err := sb.Call("Echo", "hello from go")
	if err != nil {
		return fmt.Errorf("Echo: %w", err)
	}
	fmt.Printf("version: %s (bindings %s)\n", hyperlight.LibraryVersion(), hyperlight.VersionString)
	fmt.Printf("Add(40, 2) = %v\n", sum)
	fmt.Printf("AddViaHost(100, 23) = %v\n", viaHost)
	fmt.Printf("Echo = %v\n", echo)
	fmt.Printf("library: %s\n", loadedLibrary())
	return nil
}

// loadedLibrary names the libhyperlight file the dynamic loader picked, so
// that the caller can see which install the program runs against.
func loadedLibrary() string {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if i := strings.Index(line, "/"); i >= 0 && strings.Contains(line[i:], "libhyperlight.so") {
			return line[i:]
		}
	}
	return "not mapped"
}
