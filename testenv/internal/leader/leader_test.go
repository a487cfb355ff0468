package leader

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		name string
		argv []string
		ok   bool
		err  string
		want Election
	}{
		{name: "absent", argv: []string{"/op", "-v=2"}},
		{name: "disabled", argv: []string{"-leader-election=false", "-leader-election-lock-name=x"}},
		{
			name: "single dash, defaults",
			argv: []string{"/op", "-leader-election=true", "-leader-election-lock-name=lk"},
			ok:   true,
			want: Election{LockKind: "configmap", Namespace: "pod-ns", Name: "lk",
				LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second},
		},
		{
			name: "double dash, separate values, lease",
			argv: []string{"--leader-election", "--leader-election-lock-name", "lk", "--leader-election-lock-namespace", "ops",
				"--leader-election-lock-kind=lease", "--leader-election-lease-duration", "4s", "--renew-deadline=3s", "--retry-period", "1"},
			ok: true,
			want: Election{LockKind: "lease", Namespace: "ops", Name: "lk",
				LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: time.Second},
		},
		{name: "no lock name", argv: []string{"-leader-election=true"}, ok: true, err: "lock-name"},
		{name: "bad kind", argv: []string{"-leader-election=true", "-leader-election-lock-name=a", "-leader-election-lock-kind=endpoints"}, ok: true, err: "lock kind"},
		{name: "bad timing", argv: []string{"-leader-election=true", "-leader-election-lock-name=a", "-leader-election-lease-duration=2s", "-renew-deadline=3s"}, ok: true, err: "leaseDuration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok, err := ParseArgs(c.argv, "pod-ns")
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want it to mention %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok && got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// fakeConfigMaps is an in-memory ConfigMapsGetter with optimistic
// concurrency on resourceVersion (client-go's fake clientset is large to
// compile and does not check resourceVersion).
type fakeConfigMaps struct {
	corev1client.ConfigMapInterface // methods the lock does not use panic
	items                           map[string]*corev1.ConfigMap
	rv                              int
}

func (f *fakeConfigMaps) ConfigMaps(string) corev1client.ConfigMapInterface { return f }

var cmResource = schema.GroupResource{Resource: "configmaps"}

func (f *fakeConfigMaps) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.ConfigMap, error) {
	cm, ok := f.items[name]
	if !ok {
		return nil, apierrors.NewNotFound(cmResource, name)
	}
	return cm.DeepCopy(), nil
}

func (f *fakeConfigMaps) Create(_ context.Context, cm *corev1.ConfigMap, _ metav1.CreateOptions) (*corev1.ConfigMap, error) {
	if _, ok := f.items[cm.Name]; ok {
		return nil, apierrors.NewAlreadyExists(cmResource, cm.Name)
	}
	f.rv++
	c := cm.DeepCopy()
	c.ResourceVersion = strconv.Itoa(f.rv)
	f.items[c.Name] = c
	return c.DeepCopy(), nil
}

func (f *fakeConfigMaps) Update(_ context.Context, cm *corev1.ConfigMap, _ metav1.UpdateOptions) (*corev1.ConfigMap, error) {
	cur, ok := f.items[cm.Name]
	if !ok {
		return nil, apierrors.NewNotFound(cmResource, cm.Name)
	}
	if cm.ResourceVersion != cur.ResourceVersion {
		return nil, apierrors.NewConflict(cmResource, cm.Name, nil)
	}
	f.rv++
	c := cm.DeepCopy()
	c.ResourceVersion = strconv.Itoa(f.rv)
	f.items[c.Name] = c
	return c.DeepCopy(), nil
}

func TestConfigMapLockRoundTrip(t *testing.T) {
	ctx := context.Background()
	cs := &fakeConfigMaps{items: map[string]*corev1.ConfigMap{}}
	l := &ConfigMapLock{Namespace: "ns", Name: "lk", Client: cs, LockConfig: rl.ResourceLockConfig{Identity: "pod-a"}}
	if _, _, err := l.Get(ctx); err == nil {
		t.Fatal("Get on a missing configmap succeeded")
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	rec := rl.LeaderElectionRecord{HolderIdentity: "pod-a", LeaseDurationSeconds: 4, AcquireTime: now, RenewTime: now}
	if err := l.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	cm, err := cs.ConfigMaps("ns").Get(ctx, "lk", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw := cm.Annotations[RecordAnnotation]
	var m map[string]interface{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaderTransitions"} {
		if _, ok := m[k]; !ok {
			t.Errorf("record %s lacks %s", raw, k)
		}
	}
	if _, ok := m["strategy"]; ok {
		t.Errorf("empty strategy written: %s", raw)
	}
	rec.LeaderTransitions = 3
	rec.HolderIdentity = "pod-b"
	if err := l.Update(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, _, err := l.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.HolderIdentity != "pod-b" || got.LeaderTransitions != 3 || !got.RenewTime.Equal(&now) {
		t.Fatalf("round trip: %+v", got)
	}
	if l.Describe() != "configmaps/ns/lk" || l.Identity() != "pod-a" {
		t.Fatalf("describe/identity: %s %s", l.Describe(), l.Identity())
	}

	// A configmap without the annotation is an empty record anyone may take.
	_, _ = cs.ConfigMaps("ns").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bare"}}, metav1.CreateOptions{})
	l2 := &ConfigMapLock{Namespace: "ns", Name: "bare", Client: cs}
	r2, _, err := l2.Get(ctx)
	if err != nil || r2.HolderIdentity != "" {
		t.Fatalf("bare configmap: %+v %v", r2, err)
	}
}

// Two contenders that read the same record cannot both write it.
func TestConfigMapLockConflict(t *testing.T) {
	ctx := context.Background()
	cs := &fakeConfigMaps{items: map[string]*corev1.ConfigMap{}}
	a := &ConfigMapLock{Namespace: "ns", Name: "lk", Client: cs, LockConfig: rl.ResourceLockConfig{Identity: "a"}}
	b := &ConfigMapLock{Namespace: "ns", Name: "lk", Client: cs, LockConfig: rl.ResourceLockConfig{Identity: "b"}}
	if err := a.Create(ctx, rl.LeaderElectionRecord{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Update(ctx, rl.LeaderElectionRecord{HolderIdentity: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(ctx, rl.LeaderElectionRecord{HolderIdentity: "b"}); !apierrors.IsConflict(err) {
		t.Fatalf("second writer: err = %v, want a conflict", err)
	}
	r, _, _ := b.Get(ctx)
	if r.HolderIdentity != "a" {
		t.Fatalf("holder = %q", r.HolderIdentity)
	}
}
