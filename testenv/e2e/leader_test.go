package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
)

const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = 1 * time.Second
)

type lockRecord struct {
	Holder      string
	RenewTime   time.Time
	Transitions int
}

func readLock(t *testing.T, kind, ns, name string) (*lockRecord, error) {
	c := ctx(t)
	switch kind {
	case "lease":
		l, err := client.CoordinationV1().Leases(ns).Get(c, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		r := &lockRecord{}
		if l.Spec.HolderIdentity != nil {
			r.Holder = *l.Spec.HolderIdentity
		}
		if l.Spec.RenewTime != nil {
			r.RenewTime = l.Spec.RenewTime.Time
		}
		if l.Spec.LeaseTransitions != nil {
			r.Transitions = int(*l.Spec.LeaseTransitions)
		}
		return r, nil
	default:
		cm, err := client.CoreV1().ConfigMaps(ns).Get(c, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		raw, ok := cm.Annotations["control-plane.alpha.kubernetes.io/leader"]
		if !ok {
			return nil, fmt.Errorf("no leader annotation on configmap %s", name)
		}
		var rec struct {
			HolderIdentity       string      `json:"holderIdentity"`
			LeaseDurationSeconds int         `json:"leaseDurationSeconds"`
			AcquireTime          metav1.Time `json:"acquireTime"`
			RenewTime            metav1.Time `json:"renewTime"`
			LeaderTransitions    int         `json:"leaderTransitions"`
		}
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			return nil, fmt.Errorf("bad record %q: %v", raw, err)
		}
		if rec.LeaseDurationSeconds != int(leaseDuration/time.Second) || rec.AcquireTime.IsZero() {
			return nil, fmt.Errorf("unexpected record %q", raw)
		}
		return &lockRecord{Holder: rec.HolderIdentity, RenewTime: rec.RenewTime.Time, Transitions: rec.LeaderTransitions}, nil
	}
}

func testLeaderElection(t *testing.T, kind string) {
	ns := newNamespace(t, "le-"+kind)
	c := ctx(t)
	lock := "op-lock"
	// Spell the flags in the different ways operators do.
	args := []string{
		"-leader-election=true",
		"--leader-election-lock-name=" + lock,
		"-leader-election-lock-namespace", ns,
		"--leader-election-lease-duration=" + leaseDuration.String(),
		"-renew-deadline=" + renewDeadline.String(),
		"--retry-period", retryPeriod.String(),
	}
	if kind == "lease" {
		args = append(args, "-leader-election-lock-kind=lease")
	}
	pods := []string{"op-a", "op-b", "op-c"}
	for _, name := range pods {
		_, err := client.CoreV1().Pods(ns).Create(c, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "operator", Image: "example.invalid/operator:1", Args: args,
			}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	isPod := func(h string, among []string) bool {
		for _, p := range among {
			if p == h {
				return true
			}
		}
		return false
	}

	// Exactly one holder, one of the pods, with a fresh renewTime that
	// keeps advancing while the holder stays the same.
	var first *lockRecord
	eventually(t, 60*time.Second, 200*time.Millisecond, "a holder", func() (bool, string) {
		r, err := readLock(t, kind, ns, lock)
		if err != nil {
			return false, err.Error()
		}
		first = r
		return isPod(r.Holder, pods), toJSON(r)
	})
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		r, err := readLock(t, kind, ns, lock)
		if err != nil {
			t.Fatal(err)
		}
		if r.Holder != first.Holder {
			t.Fatalf("holder changed without a failure: %s -> %s", first.Holder, r.Holder)
		}
		// renewTime has whole-second precision in the ConfigMap record
		if age := time.Since(r.RenewTime); age > leaseDuration {
			t.Fatalf("renewTime %s is %s old, lease is %s", r.RenewTime, age, leaseDuration)
		}
		time.Sleep(300 * time.Millisecond)
	}
	before, err := readLock(t, kind, ns, lock)
	if err != nil {
		t.Fatal(err)
	}
	if !before.RenewTime.After(first.RenewTime) && kind == "lease" {
		t.Fatalf("renewTime did not advance: %s -> %s", first.RenewTime, before.RenewTime)
	}

	// Delete the holder: it stops without releasing; another Ready pod must
	// take over once the lease has expired.
	deleted := before.Holder
	start := time.Now()
	if err := client.CoreV1().Pods(ns).Delete(c, deleted, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var after *lockRecord
	eventually(t, 30*time.Second, 100*time.Millisecond, "a new holder", func() (bool, string) {
		r, err := readLock(t, kind, ns, lock)
		if err != nil {
			return false, err.Error()
		}
		after = r
		return r.Holder != deleted && isPod(r.Holder, pods), toJSON(r)
	})
	took := time.Since(start)
	// The issue asks for leaseDuration + retryPeriod. Real client-go electors
	// cannot promise that: each retry waits retryPeriod plus a random
	// JitterFactor (1.2) x retryPeriod, so a contender notices the holder's
	// last renewal up to 2.2 retryPeriods late and retries after expiry up to
	// 2.2 retryPeriods late. The hard bound is therefore leaseDuration +
	// 2 x 2.2 x retryPeriod (+ a little for the pod deletion to be seen).
	// The measured time is logged so the typical figure stays visible.
	bound := leaseDuration + time.Duration(2*(1+leaderelection.JitterFactor)*float64(retryPeriod)) + 500*time.Millisecond
	t.Logf("%s lock: %s -> %s after %s (leaseDuration+retryPeriod = %s, bound with client-go jitter %s)",
		kind, deleted, after.Holder, took.Round(10*time.Millisecond), leaseDuration+retryPeriod, bound)
	if took > bound {
		t.Fatalf("takeover took %s, more than %s", took, bound)
	}
	if took < leaseDuration-time.Second {
		t.Fatalf("takeover after %s: before the lease of %s could expire (was the lock released?)", took, leaseDuration)
	}
	if after.Transitions <= before.Transitions {
		t.Fatalf("leaderTransitions did not grow: %d -> %d", before.Transitions, after.Transitions)
	}
}

func TestLeaderElectionConfigMap(t *testing.T) {
	t.Parallel()
	testLeaderElection(t, "configmap")
}

func TestLeaderElectionLease(t *testing.T) {
	t.Parallel()
	testLeaderElection(t, "lease")
}
