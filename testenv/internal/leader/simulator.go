// Package leader runs real client-go leader electors on behalf of pods that
// ask for leader election in their container arguments, so that operators'
// leader-election behaviour can be observed on a cluster without a kubelet.
package leader

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Election is what one container's arguments ask for.
type Election struct {
	LockKind      string // "configmap" or "lease"
	Namespace     string
	Name          string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

func (e Election) String() string {
	return fmt.Sprintf("%s %s/%s lease=%s renew=%s retry=%s", e.LockKind, e.Namespace, e.Name,
		e.LeaseDuration, e.RenewDeadline, e.RetryPeriod)
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "t":
		return true, true
	case "false", "0", "no", "f":
		return false, true
	}
	return false, false
}

// parseDuration accepts Go durations ("4s") and plain seconds ("4").
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(v)
}

// ParseArgs reads leader-election flags (single or double dash, "=value" or
// "value" as the next argument) from a container's command and args. It
// returns ok=false when the container does not enable leader election.
// podNamespace is the default lock namespace.
func ParseArgs(argv []string, podNamespace string) (Election, bool, error) {
	e := Election{
		LockKind:      "configmap",
		Namespace:     podNamespace,
		LeaseDuration: 15 * time.Second,
		RenewDeadline: 10 * time.Second,
		RetryPeriod:   2 * time.Second,
	}
	enabled := false
	var errs []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		val, hasVal := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = k, v, true
		}
		next := func() string {
			if hasVal {
				return val
			}
			if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
				i++
				return argv[i]
			}
			return ""
		}
		switch name {
		case "leader-election", "leader-elect", "enable-leader-election":
			if !hasVal {
				// a bare boolean flag, or "--leader-election true"
				if i+1 < len(argv) {
					if b, ok := parseBool(argv[i+1]); ok {
						i++
						enabled = b
						continue
					}
				}
				enabled = true
				continue
			}
			b, ok := parseBool(val)
			if !ok {
				errs = append(errs, "bad "+a)
			}
			enabled = b
		case "leader-election-lock-name", "leader-elect-resource-name":
			e.Name = next()
		case "leader-election-lock-namespace", "leader-elect-resource-namespace":
			if v := next(); v != "" {
				e.Namespace = v
			}
		case "leader-election-lock-kind", "leader-elect-resource-lock":
			switch k := strings.ToLower(next()); k {
			case "configmap", "configmaps":
				e.LockKind = "configmap"
			case "lease", "leases":
				e.LockKind = "lease"
			default:
				errs = append(errs, "unknown lock kind "+strconv.Quote(k))
			}
		case "leader-election-lease-duration", "leader-elect-lease-duration", "lease-duration":
			d, err := parseDuration(next())
			if err != nil {
				errs = append(errs, a+": "+err.Error())
			}
			e.LeaseDuration = d
		case "renew-deadline", "leader-election-renew-deadline", "leader-elect-renew-deadline":
			d, err := parseDuration(next())
			if err != nil {
				errs = append(errs, a+": "+err.Error())
			}
			e.RenewDeadline = d
		case "retry-period", "leader-election-retry-period", "leader-elect-retry-period":
			d, err := parseDuration(next())
			if err != nil {
				errs = append(errs, a+": "+err.Error())
			}
			e.RetryPeriod = d
		}
	}
	if !enabled {
		return e, false, nil
	}
	if e.Name == "" {
		errs = append(errs, "leader election enabled but no -leader-election-lock-name")
	}
	if !(e.LeaseDuration > e.RenewDeadline && float64(e.RenewDeadline) > leaderelection.JitterFactor*float64(e.RetryPeriod) && e.RetryPeriod > 0) {
		errs = append(errs, fmt.Sprintf("need leaseDuration > renewDeadline > %.1f*retryPeriod > 0 (got %s)", leaderelection.JitterFactor, e))
	}
	if len(errs) > 0 {
		return e, true, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return e, true, nil
}

// Simulator starts one elector per (Ready pod, container asking for leader
// election) and stops it, without releasing the lock, when the pod is
// deleted or stops being Ready, as a crashed process would.
type Simulator struct {
	client kubernetes.Interface
	pods   corelisters.PodLister
	synced cache.InformerSynced

	mu       sync.Mutex
	electors map[string]*elector // key: ns/pod/container
	reported map[string]string   // pod key -> last reported error
}

type elector struct {
	uid    string
	spec   Election
	cancel context.CancelFunc
	done   chan struct{}
}

// New wires the simulator into factory. Call factory.Start and Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) *Simulator {
	s := &Simulator{client: client, electors: map[string]*elector{}, reported: map[string]string{}}
	inf := factory.Core().V1().Pods()
	s.pods = inf.Lister()
	s.synced = inf.Informer().HasSynced
	return s
}

func podActive(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Run reconciles all pods once per event batch until ctx is done.
func (s *Simulator) Run(ctx context.Context, factory informers.SharedInformerFactory) {
	kick := make(chan struct{}, 1)
	poke := func(interface{}) {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	_, _ = factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    poke,
		UpdateFunc: func(_, o interface{}) { poke(o) },
		DeleteFunc: poke,
	})
	if !cache.WaitForCacheSync(ctx.Done(), s.synced) {
		return
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		s.reconcile(ctx)
		select {
		case <-ctx.Done():
			s.stopAll()
			return
		case <-kick:
		case <-tick.C:
		}
	}
}

func (s *Simulator) reconcile(ctx context.Context) {
	pods, err := s.pods.List(labels.Everything())
	if err != nil {
		return
	}
	want := map[string]struct {
		pod  *corev1.Pod
		spec Election
	}{}
	for _, p := range pods {
		if !podActive(p) {
			continue
		}
		for _, c := range p.Spec.Containers {
			argv := append(append([]string{}, c.Command...), c.Args...)
			spec, ok, err := ParseArgs(argv, p.Namespace)
			if !ok {
				continue
			}
			pk := p.Namespace + "/" + p.Name
			if err != nil {
				if s.reported[pk] != err.Error() {
					s.reported[pk] = err.Error()
					klog.InfoS("leader-election args ignored", "pod", pk, "container", c.Name, "err", err)
				}
				continue
			}
			want[pk+"/"+c.Name] = struct {
				pod  *corev1.Pod
				spec Election
			}{p, spec}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, el := range s.electors {
		w, ok := want[key]
		if !ok || string(w.pod.UID) != el.uid || w.spec != el.spec {
			el.cancel() // stop without releasing: the process "crashed"
			delete(s.electors, key)
		}
	}
	for key, w := range want {
		if _, ok := s.electors[key]; ok {
			continue
		}
		ectx, cancel := context.WithCancel(ctx)
		el := &elector{uid: string(w.pod.UID), spec: w.spec, cancel: cancel, done: make(chan struct{})}
		s.electors[key] = el
		go s.runElector(ectx, el, w.pod.Name, key)
	}
}

func (s *Simulator) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, el := range s.electors {
		el.cancel()
		delete(s.electors, k)
	}
}

func (s *Simulator) newLock(spec Election, identity string) rl.Interface {
	cfg := rl.ResourceLockConfig{Identity: identity}
	if spec.LockKind == "lease" {
		return &rl.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: spec.Namespace, Name: spec.Name},
			Client:     s.client.CoordinationV1(),
			LockConfig: cfg,
		}
	}
	return &ConfigMapLock{Namespace: spec.Namespace, Name: spec.Name, Client: s.client.CoreV1(), LockConfig: cfg}
}

func (s *Simulator) runElector(ctx context.Context, el *elector, identity, key string) {
	defer close(el.done)
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            s.newLock(el.spec, identity),
			LeaseDuration:   el.spec.LeaseDuration,
			RenewDeadline:   el.spec.RenewDeadline,
			RetryPeriod:     el.spec.RetryPeriod,
			ReleaseOnCancel: false,
			Name:            key,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					klog.InfoS("simulated pod is leading", "pod", key, "lock", el.spec.String())
					<-ctx.Done()
				},
				OnStoppedLeading: func() {
					klog.V(1).InfoS("simulated pod stopped leading", "pod", key)
				},
			},
		})
		if err != nil {
			klog.InfoS("cannot start elector", "pod", key, "err", err)
			return
		}
		le.Run(ctx)
		// Lost the lease while still Ready: a real operator would exit and be
		// restarted; contend again after a retry period.
		select {
		case <-ctx.Done():
		case <-time.After(el.spec.RetryPeriod):
		}
	}
}
