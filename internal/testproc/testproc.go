// Package testproc runs the project's binaries and real servers in tests:
// free loopback addresses, processes that are killed when the test ends
// and whose output is shown if it failed, and waits with deadlines.
package testproc

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// FreeAddr returns a free address on 127.0.0.1.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
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
