// Package e2e tests the testenv cluster through its binary and a kubeconfig,
// as kudoc and people use it. The binary comes from $TESTENV_BIN (set by
// testenv/dev.sh test) or is built with testenv/dev.sh build. The tests use
// the cluster running in $KUDOC_TESTENV_DIR when it is healthy, and
// otherwise start one in a temporary directory and stop it at the end.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	bin        string // testenv binary
	clusterDir string // directory of the cluster the tests use
	kubeconfig string
	restConfig *rest.Config
	client     kubernetes.Interface
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	bin, err = findBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	clusterDir = os.Getenv("KUDOC_TESTENV_DIR")
	own := false
	if clusterDir == "" || exec.Command(bin, "status", "--dir", clusterDir).Run() != nil {
		clusterDir, err = os.MkdirTemp("", "testenv-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		out, err := exec.Command(bin, "up", "--dir", clusterDir).CombinedOutput()
		fmt.Fprintf(os.Stderr, "e2e: started own cluster in %s:\n%s", clusterDir, out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: up failed:", err)
			_ = exec.Command(bin, "down", "--dir", clusterDir).Run()
			return 1
		}
		own = true
	} else {
		fmt.Fprintf(os.Stderr, "e2e: using the running cluster in %s\n", clusterDir)
	}
	kubeconfig = filepath.Join(clusterDir, "kubeconfig")
	code := func() int {
		restConfig, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		restConfig.QPS, restConfig.Burst = 100, 200
		client = kubernetes.NewForConfigOrDie(restConfig)
		return m.Run()
	}()
	if own {
		if out, err := exec.Command(bin, "down", "--dir", clusterDir).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: down failed: %v\n%s", err, out)
			code = 1
		}
		if code == 0 {
			_ = os.RemoveAll(clusterDir)
		} else {
			fmt.Fprintf(os.Stderr, "e2e: cluster logs kept in %s/logs\n", clusterDir)
		}
	}
	return code
}

func findBinary() (string, error) {
	if b := os.Getenv("TESTENV_BIN"); b != "" {
		return b, nil
	}
	var out bytes.Buffer
	cmd := exec.Command("bash", "../dev.sh", "build")
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("testenv/dev.sh build: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], nil
}

// newNamespace creates a namespace for one test and deletes it afterwards.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns, err := client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpNamespace(t, ns.Name)
		}
		_ = client.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// dumpNamespace logs the pods and events of ns, to diagnose a failure.
func dumpNamespace(t *testing.T, ns string) {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pods, err := client.CoreV1().Pods(ns).List(c, metav1.ListOptions{})
	if err != nil {
		t.Logf("dump %s: %v", ns, err)
		return
	}
	for _, p := range pods.Items {
		t.Logf("pod %s: node=%q phase=%s deletion=%v conditions=%s", p.Name, p.Spec.NodeName, p.Status.Phase,
			p.DeletionTimestamp, toJSON(p.Status.Conditions))
	}
	evs, err := client.CoreV1().Events(ns).List(c, metav1.ListOptions{})
	if err == nil {
		for _, e := range evs.Items {
			t.Logf("event %s %s/%s: %s %s", e.LastTimestamp.Format("15:04:05"), e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	t.Logf("cluster logs: %s/logs", clusterDir)
}

// eventually polls cond every interval until it returns true or timeout.
func eventually(t *testing.T, timeout, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if msg != "" {
			last = msg
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(interval)
	}
}

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"kubectl", "--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func toJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var rnd = rand.New(rand.NewSource(time.Now().UnixNano()))
