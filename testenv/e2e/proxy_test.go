package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// startProxy runs `testenv proxy` against the cluster and returns its
// kubeconfig and base URL.
func startProxy(t *testing.T, flags ...string) (kubeconfigPath, base string) {
	t.Helper()
	kubeconfigPath = filepath.Join(t.TempDir(), "proxy.kubeconfig")
	args := append([]string{"proxy", "--dir", clusterDir, "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfigPath}, flags...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("proxy did not start: %v", err)
	}
	m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("unexpected proxy output %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return kubeconfigPath, m[1]
}

// freshConnClient makes one TLS connection per request, so that Go's
// transport cannot silently retry a request whose reused connection was
// reset.
func freshConnClient(t *testing.T, kubeconfigPath, context string) (*http.Client, *rest.Config) {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfigPath},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rt http.RoundTripper = &http.Transport{TLSClientConfig: tlsCfg, DisableKeepAlives: true}
	if cfg.BearerToken != "" {
		tok := cfg.BearerToken
		inner := rt
		rt = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+tok)
			return inner.RoundTrip(r)
		})
	}
	return &http.Client{Transport: rt, Timeout: 30 * time.Second}, cfg
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFaultProxyRates(t *testing.T) {
	t.Parallel()
	const (
		n     = 600
		rate  = 0.1
		delay = 250 * time.Millisecond
	)
	kc, base := startProxy(t, "--reset", "0.1", "--status500", "0.1", "--status429", "0.1",
		"--delay", delay.String(), "--delay-rate", "0.1", "--retry-after", "2")
	hc, _ := freshConnClient(t, kc, "testenv")

	var mu sync.Mutex
	counts := map[string]int{}
	delayed := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				start := time.Now()
				resp, err := hc.Get(base + "/api/v1/namespaces/default")
				took := time.Since(start)
				kind := ""
				switch {
				case err != nil:
					kind = "reset"
				case resp.StatusCode == 500 && resp.Header.Get("X-Testenv-Fault") == "500":
					kind = "500"
				case resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "2":
					kind = "429"
				case resp.StatusCode == 200:
					kind = "ok"
				default:
					b, _ := io.ReadAll(resp.Body)
					kind = "unexpected " + resp.Status + " " + string(b)
				}
				if resp != nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				counts[kind]++
				if took >= delay {
					delayed++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	t.Logf("outcomes of %d requests: %v, delayed %d", n, counts, delayed)

	// The proxy's own counters must agree with what the client saw.
	resp, err := hc.Get(base + "/testenv-proxy/stats")
	for err != nil || resp.StatusCode != 200 { // the stats request is never faulted, but be safe
		time.Sleep(50 * time.Millisecond)
		resp, err = hc.Get(base + "/testenv-proxy/stats")
	}
	var st struct {
		Requests, Resets, Status500, Status429, Delayed, Forwarded int
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if st.Requests != n || st.Resets != counts["reset"] || st.Status500 != counts["500"] || st.Status429 != counts["429"] || st.Forwarded != counts["ok"] {
		t.Fatalf("proxy stats %+v disagree with client outcomes %v", st, counts)
	}

	// Each fault is an independent draw: binomial(n, rate). Accept 5 standard
	// deviations around the mean (a false failure is about 1 in 10^6).
	mean := float64(n) * rate
	sd := math.Sqrt(float64(n) * rate * (1 - rate))
	lo, hi := int(mean-5*sd), int(math.Ceil(mean+5*sd))
	for kind, got := range map[string]int{"reset": counts["reset"], "500": counts["500"], "429": counts["429"], "delay": delayed} {
		if got < lo || got > hi {
			t.Errorf("%s injected %d times in %d requests at rate %.2f; want %d..%d", kind, got, n, rate, lo, hi)
		}
	}
	if len(counts) != 4 {
		t.Errorf("unexpected outcomes: %v", counts)
	}
}

func TestFaultProxyPassThrough(t *testing.T) {
	t.Parallel()
	kc, base := startProxy(t)
	// client certificate (forwarded by impersonation) and bearer token both work
	for _, context := range []string{"testenv", "testenv-token"} {
		hc, _ := freshConnClient(t, kc, context)
		resp, err := hc.Get(base + "/api/v1/namespaces/kube-system")
		if err != nil {
			t.Fatalf("%s: %v", context, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s %s", context, resp.Status, b)
		}
	}
	// and the real kubectl works through it, including a watch
	out, err := exec.Command(bin, "kubectl", "--kubeconfig", kc, "get", "nodes", "-o", "name").CombinedOutput()
	if err != nil || string(out) != "node/testenv-node\n" {
		t.Fatalf("kubectl through proxy: %v %q", err, out)
	}
	out, err = exec.Command(bin, "kubectl", "--kubeconfig", kc, "get", "namespaces", "--watch", "--request-timeout=2s").CombinedOutput()
	if len(out) == 0 {
		t.Fatalf("watch through proxy printed nothing: %v", err)
	}
}
