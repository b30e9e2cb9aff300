// Package testproc runs the project's binaries and real servers in tests:
// free loopback addresses, processes that are killed when the test ends
// and whose output is shown if it failed, and waits with deadlines.
package testproc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// FreeAddr returns a free address on 127.0.0.1 for a process the test
// starts. The port is taken below the kernel's ephemeral range: a port the
// kernel hands out for ":0" (a simulator the process opens itself, an
// httptest server) can then never be the one the process is about to bind,
// which the port of a closed ":0" listener could.
func FreeAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	for range 200 {
		port := 10000 + rand.IntN(max(low-10000, 1000))
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // in use
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// where it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	var low, high int
	if _, err := fmt.Sscan(string(b), &low, &high); err != nil || low <= 11000 {
		return 32768
	}
	return low
}

// Proc is a started process.
type Proc struct {
	Cmd *exec.Cmd
	out *output
}

// Output returns what the process wrote so far, stdout and stderr together.
func (p *Proc) Output() string { return p.out.String() }

// output is written by the process's copier goroutines and read by tests.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) { o.mu.Lock(); defer o.mu.Unlock(); return o.b.Write(p) }
func (o *output) String() string              { o.mu.Lock(); defer o.mu.Unlock(); return o.b.String() }

// Start runs bin with args in dir (the test's directory when empty) for
// the rest of the test.
func Start(t testing.TB, dir, bin string, args ...string) *Proc {
	t.Helper()
	out := &output{}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			s := out.String()
			if len(s) > 4000 {
				s = "…" + s[len(s)-4000:]
			}
			t.Logf("%s output:\n%s", filepath.Base(bin), s)
		}
	})
	return &Proc{Cmd: cmd, out: out}
}

// WaitFor polls ok until it holds, failing the test at the deadline.
func WaitFor(t testing.TB, deadline time.Time, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitHTTP waits until url answers with status want.
func WaitHTTP(t testing.TB, url string, want int, deadline time.Time) {
	t.Helper()
	WaitFor(t, deadline, url+" to answer", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == want
	})
}
