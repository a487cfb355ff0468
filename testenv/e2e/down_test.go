package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type state struct {
	Supervisor int   `json:"supervisorPid"`
	Etcd       int   `json:"etcdPid"`
	APIServer  int   `json:"apiserverPid"`
	KCM        int   `json:"controllerManagerPid"`
	Ports      []int `json:"ports"`
}

func readState(t *testing.T, dir string) state {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// processesOf lists live processes whose command line mentions dir.
func processesOf(dir string) []string {
	var found []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cl), dir) {
			continue
		}
		st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && len(st) > i+2 && st[i+2] == 'Z' {
			continue // zombie: already dead
		}
		found = append(found, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cl), "\x00", " ")))
	}
	return found
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err == nil {
		c.Close()
		return true
	}
	return false
}

func runBin(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testenv %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Not parallel: it starts a second cluster and should not skew the timing
// of the leader-election tests.
func TestDownLeavesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh-clone", ".testenv") // does not exist yet
	t.Cleanup(func() { _ = exec.Command(bin, "down", "--dir", dir).Run() })

	start := time.Now()
	runBin(t, "up", "--dir", dir)
	t.Logf("up (fresh dir) took %s", time.Since(start).Round(10*time.Millisecond))
	if out := runBin(t, "up", "--dir", dir); !strings.Contains(out, "already running") {
		t.Fatalf("second up was not a no-op: %s", out)
	}
	runBin(t, "status", "--dir", dir)
	s := readState(t, dir)

	// The supervisor dying takes its children with it (Pdeathsig).
	if err := syscall.Kill(s.Supervisor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(processesOf(dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if p := processesOf(dir); len(p) > 0 {
		t.Fatalf("children survived the supervisor's SIGKILL: %v", p)
	}
	if err := exec.Command(bin, "status", "--dir", dir).Run(); err == nil {
		t.Fatalf("status says running after the supervisor was killed")
	}

	// up again over the stale state, then down.
	runBin(t, "up", "--dir", dir)
	s = readState(t, dir)
	runBin(t, "down", "--dir", dir)
	if p := processesOf(dir); len(p) > 0 {
		t.Fatalf("processes left after down: %v", p)
	}
	for _, pid := range []int{s.Supervisor, s.Etcd, s.APIServer, s.KCM} {
		if err := syscall.Kill(pid, 0); err == nil {
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(st), dir) {
				t.Fatalf("pid %d still alive after down", pid)
			}
		}
	}
	for _, port := range s.Ports {
		if listening(port) {
			t.Fatalf("port %d still listening after down", port)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); !os.IsNotExist(err) {
		t.Fatalf("state.json left after down")
	}
	if err := exec.Command(bin, "status", "--dir", dir).Run(); err == nil {
		t.Fatalf("status says running after down")
	}
	runBin(t, "down", "--dir", dir) // idempotent
}
